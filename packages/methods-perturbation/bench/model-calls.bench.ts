/**
 * Model calls and wall time of one attribution per method: every registered perturbation and attention
 * method, with saliency and integrated_gradients for comparison. Two models: stories260K (a ~20-token
 * prompt, 8 greedy tokens) and a random 12-layer Llama with hidden 768 and vocabulary 32000 written by
 * `writeRandomHfFolder` (32 prompt tokens, 4 greedy tokens). The model is wrapped to count `forward` and
 * `gradients` calls and the rows they carry; attribution is to the source only. Sampling methods run with
 * smaller settings on the large model (printed beside them) so the run stays within a few minutes on CPU.
 *
 *   pnpm --filter @tokenscope/methods-perturbation bench [stories|large]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type AttributionMethod,
  type LanguageModel,
  type MethodSequence,
  parseParameters,
  registerCoreBuiltins,
} from "@tokenscope/core";
import { methods as attentionMethods } from "@tokenscope/methods-attention";
import { methods as gradientMethods } from "@tokenscope/methods-gradient";
import { loadModel, writeRandomHfFolder } from "@tokenscope/models/node";
import { methods as perturbationMethods } from "../src/index.ts";

const stories260kDir = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));

interface Counts {
  forwardCalls: number;
  forwardRows: number;
  gradientCalls: number;
  gradientRows: number;
}

function counting(model: LanguageModel): { model: LanguageModel; counts: Counts } {
  const counts: Counts = { forwardCalls: 0, forwardRows: 0, gradientCalls: 0, gradientRows: 0 };
  const rowsOf = (inputs: { ids: number[][] } | { embeddings: { dims: readonly number[] } }) =>
    "ids" in inputs ? inputs.ids.length : inputs.embeddings.dims[0]!;
  const wrapped: LanguageModel = { ...model };
  if (model.forward) {
    const forward = model.forward;
    wrapped.forward = (request) => {
      counts.forwardCalls += 1;
      counts.forwardRows += rowsOf(request.inputs);
      return forward(request);
    };
  }
  if (model.gradients) {
    const gradients = model.gradients;
    wrapped.gradients = (request) => {
      counts.gradientCalls += 1;
      counts.gradientRows += rowsOf(request.inputs);
      return gradients(request);
    };
  }
  return { model: wrapped, counts };
}

async function generatedSequence(
  model: LanguageModel,
  promptIds: number[],
  newTokens: number,
): Promise<MethodSequence> {
  const generated = await model.generate!(promptIds, { maxNewTokens: newTokens });
  const source = (await model.decodeTokens(promptIds)).tokens;
  const target = (await model.decodeTokens(generated.ids, { after: promptIds })).tokens;
  return { source, target, steps: target.map((_, index) => index) };
}

interface Setting {
  name: string;
  model: LanguageModel;
  sequence: MethodSequence;
  parameters: Record<string, Record<string, unknown>>;
}

async function bench(setting: Setting, methods: AttributionMethod<Record<string, unknown>>[]): Promise<void> {
  const { source, target } = setting.sequence;
  console.log(`\n${setting.name}: ${source.length} prompt tokens, ${target.length} generated`);
  console.log(
    "method                   | fwd calls | fwd rows | grad calls | grad rows |  wall s | parameters",
  );
  for (const method of methods) {
    const { model, counts } = counting(setting.model);
    const parameters = setting.parameters[method.id] ?? {};
    const started = performance.now();
    let note = JSON.stringify(parameters);
    try {
      await method.run({
        model,
        sequences: [setting.sequence],
        parameters: parseParameters(method.parameters, parameters, method.id),
        attributedFunction: { id: "probability", parameters: {} },
        attributeTarget: false,
      });
    } catch (error) {
      note = `failed: ${(error as Error).message.slice(0, 80)}`;
    }
    const wall = (performance.now() - started) / 1000;
    console.log(
      `${method.id.padEnd(24)} | ${String(counts.forwardCalls).padStart(9)} | ${String(counts.forwardRows).padStart(8)} | ${String(counts.gradientCalls).padStart(10)} | ${String(counts.gradientRows).padStart(9)} | ${wall.toFixed(2).padStart(7)} | ${note}`,
    );
  }
}

const compared = new Set(["saliency", "integrated_gradients"]);
const all = [
  ...perturbationMethods,
  ...attentionMethods,
  ...gradientMethods.filter((method) => compared.has(method.id)),
] as AttributionMethod<Record<string, unknown>>[];
const which = process.argv[2];
// Step functions (the attributed probability) live in core's registries.
registerCoreBuiltins();

if (which === undefined || which === "stories") {
  const model = await loadModel(stories260kDir);
  const prompt = "Once upon a time, there was a little girl named Lily. She liked to play in the park";
  const promptIds = (await model.tokenize(prompt, { addSpecialTokens: true })).tokens.map(
    (token) => token.id!,
  );
  await bench(
    {
      name: "stories260K",
      model,
      sequence: await generatedSequence(model, promptIds, 8),
      parameters: { shapley_values: { features: "sentence" } },
    },
    all,
  );
  await model.dispose?.();
}

if (which === undefined || which === "large") {
  const out = mkdtempSync(join(tmpdir(), "tokenscope-bench-"));
  try {
    await writeRandomHfFolder({
      architecture: "llama",
      layers: 12,
      hidden: 768,
      heads: 12,
      vocab: 32000,
      seed: 7,
      out,
    });
    const model = await loadModel(out);
    const promptIds = [1, ...Array.from({ length: 31 }, (_, index) => 300 + ((index * 7919) % 31000))];
    await bench(
      {
        name: "random llama 12 layers, hidden 768, vocab 32000",
        model,
        sequence: await generatedSequence(model, promptIds, 4),
        parameters: {
          shapley_values: { features: "sentence" },
          // Smaller settings than the defaults keep this model's run near 3 minutes on 2 CPU cores.
          shapley_value_sampling: { n_samples: 1 },
          lime: { n_samples: 20 },
          kernel_shap: { samples: 20 },
          reagent: { max_probe_steps: 10, num_probes: 2 },
          value_zeroing: { layers: "-3:" },
          integrated_gradients: { n_steps: 8 },
        },
      },
      all,
    );
    await model.dispose?.();
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
