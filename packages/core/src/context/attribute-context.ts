import { attribute } from "../attribute/attribute.ts";
import { scoreSteps } from "../attribute/score-steps.ts";
import { DEFAULT_MAX_NEW_TOKENS, type StepFunctionChoice } from "../attribute/types.ts";
import { TokenscopeError, throwIfAborted } from "../errors/index.ts";
import { assertCapabilities } from "../model/assert-capabilities.ts";
import type { LanguageModel } from "../model/language-model.ts";
import type { Token } from "../model/token.ts";
import { getStepFunction } from "../registry/registries.ts";
import { selectTokens } from "./select-tokens.ts";
import { fillTemplate } from "./templates.ts";
import type {
  AttributeContextOptions,
  ContextAttribution,
  ContextCue,
  ContextCueImputation,
} from "./types.ts";

const idOf = (choice: string | StepFunctionChoice) => (typeof choice === "string" ? choice : choice.id);

function invalid(message: string, hint: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", message, { hint });
}

/** Indices of the non-special tokens whose span overlaps [start, end). */
function tokensIn(tokens: readonly Token[], range: [number, number] | undefined): number[] {
  if (!range) return [];
  return tokens.flatMap((token, index) =>
    !token.special && token.span && token.span[0] < range[1] && token.span[1] > range[0] ? [index] : [],
  );
}

function cuesOf(
  side: ContextCue["side"],
  tokens: readonly Token[],
  scores: readonly number[],
  selection: { stdThreshold: number; topk: number | undefined },
): { cues: ContextCue[]; threshold: number } {
  const { indices, threshold } = selectTokens(scores, selection);
  return {
    cues: indices.map((index) => ({ side, index, token: tokens[index]!.text, score: scores[index]! })),
    threshold,
  };
}

function checkOptions(model: LanguageModel, options: AttributeContextOptions): void {
  if (typeof options.inputCurrentText !== "string" || options.inputCurrentText.trim() === "") {
    throw invalid(
      "attributeContext needs the current input text (inputCurrentText).",
      'Give the text whose continuation is examined, e.g. "Her mom took her to the".',
    );
  }
  if (model.info.encoderDecoder) {
    throw new TokenscopeError(
      "MISSING_CAPABILITY",
      `attributeContext runs on decoder-only models; "${model.info.id}" is an encoder-decoder model.`,
      { hint: "Use a decoder-only model; encoder-decoder context attribution is not built yet." },
    );
  }
  const metric = getStepFunction(idOf(options.contextSensitivityMetric ?? "kl_divergence"));
  if (metric.contrast === undefined) {
    throw invalid(
      `The context-sensitivity metric "${metric.id}" does not compare two inputs.`,
      "Pick a contrastive step function: kl_divergence (default), pcxmi, in_context_pvi, contrast_prob_diff, ...",
    );
  }
  getStepFunction(idOf(options.attributedFunction ?? "contrast_prob_diff"));
  if (options.outputCurrentText !== undefined && options.outputCurrentText.trim() === "") {
    throw invalid(
      "outputCurrentText is empty.",
      "Give the output to examine, or leave it out to generate it.",
    );
  }
}

/**
 * PECoRe (Sarti et al., 2024), as Inseq's `attribute-context` for decoder-only models. The prompt is
 * the input template filled with the context and the current text; the output is forced
 * (`outputCurrentText`) or generated greedily. (1) Context-sensitive token identification (CTI):
 * every token of the current output is scored by the contrastive metric between the contextual
 * prediction and the contextless one (same output tokens after the contextless prompt) — for
 * kl_divergence, KL(p(·|context, current, y<t) ‖ p(·|current, y<t)); Inseq's code computes the
 * reverse direction, KL(contextless ‖ contextual) — and tokens with |score| ≥ mean + λ·std (then the
 * top k) are selected. (2) Contextual cues imputation (CCI): each selected step alone is attributed
 * with the attribution method and attributed function over the contextual prompt; with a contrastive
 * function (default contrast_prob_diff) the contrast is the contextless prompt followed by the output
 * before the step and the token the contextless model predicts there (greedy). The attributions of
 * the context tokens are kept, and the cues selected the same way (|score| ≥ mean + λ·std, top k).
 * Errors: INVALID_INPUT (empty texts, templates, thresholds, non-contrastive metric),
 * MISSING_CAPABILITY (encoder-decoder models, no forward or generate), and attribute()'s own.
 */
export async function attributeContext(
  model: LanguageModel,
  options: AttributeContextOptions,
): Promise<ContextAttribution> {
  checkOptions(model, options);
  assertCapabilities(model, ["forward", "generate"], "attributeContext");
  const context = options.inputContextText;
  const current = options.inputCurrentText;
  const outputContext = options.outputContextText;
  const inputTemplate =
    options.inputTemplate ?? (context !== undefined ? "{context} {current}" : "{current}");
  const outputTemplate =
    options.outputTemplate ?? (outputContext !== undefined ? "{context} {current}" : "{current}");
  const contextlessTemplate = options.contextlessInputCurrentText ?? "{current}";
  const metric = options.contextSensitivityMetric ?? "kl_divergence";
  const attributedFunction = options.attributedFunction ?? "contrast_prob_diff";
  const method = options.attributionMethod ?? "saliency";
  const ctiSelection = {
    stdThreshold: options.contextSensitivityStdThreshold ?? 1,
    topk: options.contextSensitivityTopk,
  };
  const cciSelection = { stdThreshold: options.attributionStdThreshold ?? 1, topk: options.attributionTopk };
  // Thresholds and top-k are checked before any model call.
  selectTokens([], ctiSelection);
  selectTokens([], cciSelection);
  const input = fillTemplate("inputTemplate", inputTemplate, current, context);
  const contextless = fillTemplate(
    "contextlessInputCurrentText",
    contextlessTemplate,
    current,
    undefined,
  ).text;
  const separator = options.decoderInputOutputSeparator ?? " ";
  const signal = options.signal ? { signal: options.signal } : {};

  // The output: forced, or generated after the template's text before {current}.
  const output = fillTemplate(
    "outputTemplate",
    outputTemplate,
    options.outputCurrentText ?? "",
    outputContext,
  );
  const outputText =
    options.outputCurrentText !== undefined ? output.text : output.text.slice(0, output.current);
  const joiner = outputText === "" || /^\s/.test(outputText) || /\s$/.test(input.text) ? "" : separator;
  let targetText = joiner + outputText;
  let currentAt = joiner.length + output.current;
  if (options.outputCurrentText === undefined) {
    const generated = await scoreSteps(model, input.text, {
      ...(targetText !== "" ? { targetPrefix: targetText } : {}),
      generation: { maxNewTokens: DEFAULT_MAX_NEW_TOKENS, ...options.generation },
      stepScores: ["probability"],
      ...signal,
    });
    const prefixLength = targetText === "" ? 0 : targetText.length;
    targetText = generated[0]!.targetText;
    currentAt = Math.min(prefixLength, targetText.length);
  }
  const outputCurrentText = targetText.slice(currentAt);
  if (outputCurrentText.trim() === "") {
    throw invalid(
      "The output to examine is empty.",
      "Give outputCurrentText, or more new tokens to generate.",
    );
  }
  const outputContextRange: [number, number] | undefined = output.context
    ? [joiner.length + output.context[0], joiner.length + output.context[1]]
    : undefined;

  // CTI: one scored pass over the contextual input, with the contextless input as contrast source;
  // with an output context, the contextless output is the current output alone (joined as the
  // contextual one is), aligned right with it.
  const contrastTarget = output.context ? joiner + targetText.slice(currentAt) : undefined;
  const [scored] = await scoreSteps(model, input.text, {
    target: targetText,
    contrastSources: contextless,
    ...(contrastTarget !== undefined ? { contrastTargets: contrastTarget } : {}),
    stepScores: [metric],
    ...signal,
  });
  const target = scored!.target;
  const firstCurrent = target.findIndex((token) => token.span !== null && token.span[1] > currentAt);
  const currentTokens = target.slice(firstCurrent);
  const ctiScores = (scored!.stepScores[idOf(metric)] ?? [])
    .slice(firstCurrent)
    .map((value) => value ?? Number.NaN);
  const selected = selectTokens(ctiScores, ctiSelection);
  options.onProgress?.({ phase: "context-sensitivity", completed: 1, total: 1 });

  const source = scored!.source;
  const inputContextIndices = tokensIn(source, input.context);
  const outputContextIndices = tokensIn(target.slice(0, firstCurrent), outputContextRange);
  const contrastive = getStepFunction(idOf(attributedFunction)).contrast !== undefined;
  const contextlessIds = (await model.tokenize(contextless, { addSpecialTokens: true })).tokens.map(
    (token) => token.id!,
  );

  const cci: ContextCueImputation[] = [];
  for (const [done, index] of selected.indices.entries()) {
    throwIfAborted(options.signal);
    const step = firstCurrent + index;
    let contrastToken: string | undefined;
    let contrastOptions = {};
    if (contrastive) {
      // The contextless model's own next token after the same output prefix (Inseq's contextless output).
      const prefix = currentTokens.slice(0, index).map((token) => token.id!);
      const next = await model.generate!([...contextlessIds, ...prefix], {
        maxNewTokens: 1,
        temperature: 0,
        stopTokenIds: [],
        ...signal,
      });
      const decoded = await model.decodeTokens([...prefix, ...next.ids], { after: contextlessIds });
      // Tokenized as attribute() tokenizes a forced continuation, so the pair names its last token.
      const contrastLength = (
        await model.tokenize(decoded.text, { addSpecialTokens: false, continuation: true })
      ).tokens.length;
      contrastToken = decoded.tokens[decoded.tokens.length - 1]?.text ?? "";
      contrastOptions = {
        contrastSources: contextless,
        contrastTargets: decoded.text,
        contrastAlignments: [[step, Math.max(0, contrastLength - 1)]] as [number, number][],
      };
    }
    const result = await attribute(model, input.text, {
      target: targetText,
      steps: { start: step, end: step + 1 },
      method,
      ...(options.attributionParameters ? { parameters: options.attributionParameters } : {}),
      attributedFunction,
      ...contrastOptions,
      ...signal,
    });
    const sequence = result.sequences[0]!;
    const inputScores = inputContextIndices.map((s) => sequence.sourceAttributions[step]?.[s] ?? Number.NaN);
    const outputScores = outputContextIndices.map(
      (u) => sequence.targetAttributions?.[step]?.[u] ?? Number.NaN,
    );
    const inputContextTokens = inputContextIndices.map((s) => source[s]!);
    const outputContextTokens = outputContextIndices.map((u) => target[u]!);
    const inputCues = cuesOf("input", inputContextTokens, inputScores, cciSelection);
    const outputCues =
      outputContextIndices.length > 0
        ? cuesOf("output", outputContextTokens, outputScores, cciSelection)
        : undefined;
    cci.push({
      index,
      token: currentTokens[index]!.text,
      ctiScore: ctiScores[index]!,
      ...(contrastToken !== undefined ? { contrastToken } : {}),
      result,
      inputContextScores: inputScores,
      ...(outputCues ? { outputContextScores: outputScores } : {}),
      cues: [...inputCues.cues, ...(outputCues?.cues ?? [])],
      thresholds: { input: inputCues.threshold, ...(outputCues ? { output: outputCues.threshold } : {}) },
    });
    options.onProgress?.({ phase: "context-cues", completed: done + 1, total: selected.indices.length });
  }

  return {
    inputContextText: context ?? null,
    inputCurrentText: current,
    outputContextText: outputContext ?? null,
    outputCurrentText,
    contextualInput: input.text,
    contextlessInput: contextless,
    inputContextTokens: inputContextIndices.map((s) => source[s]!),
    outputContextTokens: outputContextIndices.map((u) => target[u]!),
    cti: {
      metric: idOf(metric),
      ids: currentTokens.map((token) => token.id!),
      tokens: currentTokens.map((token) => token.text),
      scores: ctiScores,
      threshold: selected.threshold,
    },
    selected: selected.indices,
    cci,
    settings: {
      contextSensitivityMetric: idOf(metric),
      contextSensitivityStdThreshold: ctiSelection.stdThreshold,
      contextSensitivityTopk: ctiSelection.topk ?? null,
      attributionMethod: method,
      attributedFunction: idOf(attributedFunction),
      attributionStdThreshold: cciSelection.stdThreshold,
      attributionTopk: cciSelection.topk ?? null,
      inputTemplate,
      outputTemplate,
      contextlessInputCurrentText: contextlessTemplate,
    },
  };
}
