import {
  type AttributionMethod,
  assertCapabilities,
  parseParameters,
  sizeParameter,
  withLimit,
} from "@tokenscope/core";
import { z } from "zod";
import { predictiveDistributions } from "./reagent/predictive-distributions.ts";
import {
  activeProbes,
  applyUpdate,
  createProbeGroup,
  inTopK,
  meanImportance,
  type ProbeGroup,
  stopInput,
  updateInput,
} from "./reagent/probes.ts";
import { modelSampler, posSampler, type TokenSampler, uniformSampler } from "./reagent/samplers.ts";
import { attributedFunctionOf } from "./shared/attributed-function.ts";
import { contrastRows, longestRowOf, withPromptOf } from "./shared/contrast-rows.ts";
import { evaluateRows } from "./shared/forward-rows.ts";
import { checkForwardBudget } from "./shared/memory-budget.ts";
import { createOutputs } from "./shared/outputs.ts";
import { batchSizeParameter, includeSpecialParameter, seedParameter } from "./shared/parameters.ts";
import { stepStream } from "./shared/random.ts";
import { type StepTask, stepTasks } from "./shared/step-tasks.ts";

const parameters = z
  .strictObject({
    keep_top_n: sizeParameter("contextTokens", 0)
      .default(5)
      .describe(
        withLimit(
          "Tokens kept (by importance) in the stopping-condition check; 0: use keep_ratio.",
          "contextTokens",
        ),
      ),
    keep_ratio: z
      .number()
      .gt(0)
      .max(1)
      .nullable()
      .default(null)
      .describe("When keep_top_n is 0: the share of tokens kept, ceil(keep_ratio × tokens)."),
    invert_keep: z
      .boolean()
      .default(false)
      .describe("Replace the top tokens in the stopping-condition check and keep the others."),
    stopping_condition_top_k: sizeParameter("rankedTokens", 1)
      .default(3)
      .describe(
        withLimit(
          "A probe stops when the target is among the top k predictions of its check input.",
          "rankedTokens",
        ),
      ),
    replacing_ratio: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.3)
      .describe("Probability that a token is replaced in an update input."),
    max_probe_steps: sizeParameter("probeSteps", 1)
      .default(3000)
      .describe(withLimit("Most update iterations.", "probeSteps")),
    num_probes: sizeParameter("probes", 1)
      .default(16)
      .describe(withLimit("Independent probes per step, averaged.", "probes")),
    sampler: z
      .enum(["uniform", "pos", "model"])
      .default("pos")
      .describe(
        'Replacement tokens: "pos" (same part of speech, wink-nlp; as Inseq), "uniform" over the vocabulary, ' +
          'or "model" (drawn from the model\'s own prediction at that position).',
      ),
    include_special: includeSpecialParameter,
    batch_size: batchSizeParameter,
    seed: seedParameter,
  })
  .refine((value) => value.keep_top_n > 0 || value.keep_ratio !== null, {
    message: "keep_top_n is 0, so keep_ratio must be set",
    path: ["keep_ratio"],
  });

/** Parameters of {@link reagent}. */
export type ReagentParameters = z.output<typeof parameters>;

async function samplerFor(
  kind: ReagentParameters["sampler"],
  context: Parameters<AttributionMethod<ReagentParameters>["run"]>[0],
  tasks: StepTask[],
  batchSize: number,
): Promise<TokenSampler> {
  if (kind === "pos") return posSampler(context.model);
  if (kind === "model") {
    return modelSampler(
      context.model,
      await predictiveDistributions(context.model, tasks, batchSize, context),
    );
  }
  return uniformSampler(context.model);
}

/** `reagent`: ReAGent, recursive attribution by replacing tokens with sampled ones (Zhao & Shan 2024). */
export const reagent: AttributionMethod<ReagentParameters> = {
  id: "reagent",
  family: "perturbation",
  summary:
    "Importance from many random token replacements, refined until the kept tokens alone predict the target.",
  description:
    "ReAGent (Zhao & Shan 2024, as Inseq's `reagent`), per attributed step t: `num_probes` probes each hold a " +
    "score per input token (source tokens, and earlier target tokens with target-prefix attribution; special " +
    "tokens only with `include_special`), initialised uniformly in [0, 1). Each iteration, for every probe " +
    "still running: (1) update — every token is replaced with probability `replacing_ratio` by a sampled " +
    "token, Δ = f_t(original) − f_t(replaced) is measured, and replaced tokens gain logit((Δ + 1) / 2), kept " +
    "ones logit((1 − Δ) / 2) (Δ clamped inside (−1, 1)); (2) stopping condition — the importance is " +
    "softmax(scores); the `keep_top_n` most important tokens (or ceil(`keep_ratio` × tokens) when keep_top_n " +
    "is 0) are kept and all others replaced by sampled tokens (with `invert_keep`, the top tokens are " +
    "replaced and the others kept, as Inseq documents it; Inseq's code, by reading, then replaces every " +
    "token); the probe stops when the target is among the " +
    "`stopping_condition_top_k` highest logits of that input. After `max_probe_steps` iterations or when " +
    "every probe stopped, a token's score is its importance averaged over the probes that stopped (over all " +
    "probes when none did): scores are in [0, 1] and add up to 1 per step; tokens not perturbed score 0. " +
    'Replacement tokens (`sampler`): "pos" (default, as Inseq) uniform among tokens with the same ' +
    "universal part of speech (wink-nlp's English model, each vocabulary token tagged alone; loaded lazily " +
    'and cached per model), as ReAGent\'s POS sampler; "uniform" over the vocabulary without special tokens; "model" drawn from the model\'s own ' +
    "prediction at that position given the original tokens before it (ReAGent's inferential sampler, " +
    "sampling instead of taking the argmax). f_t is the attributed function (default: probability, as in " +
    "ReAGent); a contrastive one is evaluated against the contrast input with the update's replacements " +
    "at the prompt positions when it shares the prompt, unperturbed when it has its own source (the " +
    "stopping condition reads the target's rank alone). Every iteration sends the update inputs of all " +
    "running probes of all steps and sequences in forward calls of `batch_size` rows, then their check inputs likewise. Random numbers come from a " +
    "Mersenne Twister per step seeded with `seed`. Extras: reagent_iterations and reagent_converged " +
    "(probes that stopped) per step. On an encoder-decoder with a source vocabulary of its own, source " +
    "tokens are replaced by tokens of that vocabulary (uniformly: the part-of-speech tags and the model's " +
    "predictions are of the target side), target-prefix tokens as above.",
  references: ["https://arxiv.org/abs/2402.00794"],
  requires: ["forward"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  async run(context) {
    const settings = parseParameters(parameters, context.parameters, "reagent");
    const owner = 'Method "reagent"';
    const { model } = context;
    assertCapabilities(model, ["forward"], owner);
    const attributed = attributedFunctionOf(context);
    const tasks = stepTasks(context, {
      units: { kind: "token", owner },
      includeSpecial: settings.include_special,
    });
    const longestRow = longestRowOf(tasks, attributed);
    // Before the sampler's model pass and the probes: a run whose longest row cannot fit the budget
    // makes no model call. The model sampler reads every position's logits of that row.
    checkForwardBudget(
      "reagent",
      model.info,
      {
        length: longestRow,
        logitPositions: settings.sampler === "model" ? longestRow : 1,
        embeddings: false,
      },
      context.memoryBudgetBytes,
    );
    const sampler = await samplerFor(settings.sampler, context, tasks, settings.batch_size);
    const contrast = await contrastRows(model, attributed, tasks, {
      batchSize: settings.batch_size,
      memoryBudgetBytes: context.memoryBudgetBytes,
      method: "reagent",
      signal: context.signal,
    });
    const groups = tasks.map((task) =>
      createProbeGroup(task, settings.num_probes, stepStream(settings.seed, task.ids, task.step)),
    );
    const evaluate = (rows: { group: ProbeGroup; ids: readonly number[] }[], topK?: number) =>
      evaluateRows({
        model,
        count: rows.length,
        batchSize: settings.batch_size,
        memoryBudgetBytes: context.memoryBudgetBytes,
        method: "reagent",
        longestRow,
        embeddings: false,
        signal: context.signal,
        rowAt: (index) => ({ ids: rows[index]!.ids, sourceLength: rows[index]!.group.task.sourceLength }),
        // The update inputs' replacements of prompt tokens go to a contrast input sharing the
        // prompt too. The stopping check reads the target's rank alone, so it has no contrast row.
        contrastRowAt(index) {
          if (topK !== undefined) return undefined;
          const { group, ids } = rows[index]!;
          return contrast.row(group.task, (contrastIds) => ({
            ids: withPromptOf(contrastIds, ids, group.task.sourceLength),
            sourceLength: group.task.sourceLength,
          }));
        },
        read(logits, index, contrastLogits) {
          const { task } = rows[index]!.group;
          if (topK !== undefined) return inTopK(logits, task.targetId, topK) ? 1 : 0;
          return attributed.evaluate(logits, task.targetId, contrast.side(task, contrastLogits));
        },
      });

    const originals = await evaluate(groups.map((group) => ({ group, ids: group.task.ids })));
    groups.forEach((group, index) => {
      group.original = originals[index]!;
    });
    for (let iteration = 1; iteration <= settings.max_probe_steps; iteration++) {
      const running = groups.flatMap((group) => activeProbes(group).map((probe) => ({ group, probe })));
      if (running.length === 0) break;
      context.onProgress?.({ phase: "reagent", completed: iteration - 1, total: settings.max_probe_steps });
      const updates = running.map(({ group }) => updateInput(group, settings.replacing_ratio, sampler));
      const values = await evaluate(running.map(({ group }, index) => ({ group, ids: updates[index]!.ids })));
      running.forEach(({ group, probe }, index) => {
        applyUpdate(group, probe, updates[index]!.replaced, values[index]!);
      });
      for (const group of new Set(running.map(({ group }) => group))) group.iterations = iteration;
      const checks = running.map(({ group, probe }) => ({
        group,
        ids: stopInput(group, probe, settings, sampler),
      }));
      const hits = await evaluate(checks, settings.stopping_condition_top_k);
      running.forEach(({ group, probe }, index) => {
        if (hits[index] === 1) group.stopped[probe] = true;
      });
    }
    context.onProgress?.({
      phase: "reagent",
      completed: settings.max_probe_steps,
      total: settings.max_probe_steps,
    });

    const outputs = createOutputs(context, attributed.id);
    for (const group of groups) {
      const scores = meanImportance(group);
      outputs.write(group.task, scores, group.original);
      outputs.extra(group.task, "reagent_iterations", group.iterations);
      outputs.extra(group.task, "reagent_converged", group.stopped.filter(Boolean).length);
    }
    return outputs.finish();
  },
};
