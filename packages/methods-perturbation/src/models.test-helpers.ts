import type {
  Capability,
  ForwardRequest,
  LanguageModel,
  MethodContext,
  MethodSequence,
  Token,
} from "@tokenscope/core";
import { TokenscopeError } from "@tokenscope/core";

const UNK = 0;
const BOS = 1;
const EOS = 2;

/** Options of {@link createIndicatorModel}. */
export interface IndicatorModelOptions {
  /** Weight of each position: its token adds the weight to the target logit unless it is UNK. */
  weights: number[];
  /** Pairwise interactions [s, t, c]: c is added when neither position s nor t holds UNK. */
  pairs?: [number, number, number][];
  bias?: number;
  /** The id whose logit carries the function (other logits are 0). */
  targetId?: number;
  vocabSize?: number;
  /** Declared capabilities (default forward and tokenize; no embed). */
  capabilities?: Capability[];
  id?: string;
  specialTokens?: LanguageModel["info"]["specialTokens"];
}

/**
 * A hand-written causal model whose logit of `targetId` at position p is
 * bias + Σ_{s≤p} w_s z_s + Σ_{pairs s,t≤p} c z_s z_t, where z_s = 1 unless
 * position s holds UNK. With the "logit" step function and the "unk"
 * baseline the attributed function is exactly that polynomial of the
 * indicators, so attributions can be computed by hand.
 */
export function createIndicatorModel(options: IndicatorModelOptions): LanguageModel {
  const vocab = options.vocabSize ?? 12;
  const target = options.targetId ?? 5;
  const value = (row: number[], position: number): number => {
    const present = (s: number) => (s <= position && row[s] !== UNK ? 1 : 0);
    let sum = options.bias ?? 0;
    options.weights.forEach((weight, s) => {
      sum += weight * present(s);
    });
    for (const [s, t, c] of options.pairs ?? []) sum += c * present(s) * present(t);
    return sum;
  };
  return {
    info: {
      id: options.id ?? "indicator-model",
      architecture: "indicator",
      vocabSize: vocab,
      hiddenSize: 1,
      numLayers: 0,
      numHeads: 0,
      contextLength: 64,
      encoderDecoder: false,
      specialTokens: options.specialTokens ?? { bos: BOS, eos: [EOS], unk: UNK },
    },
    capabilities: new Set(options.capabilities ?? ["forward", "tokenize"]),
    tokenize: async () => {
      throw new TokenscopeError("INVALID_INPUT", "The indicator model has no tokenizer.");
    },
    detokenize: async (ids) => ids.join(" "),
    decodeTokens: async (ids) => ({
      text: ids.join(""),
      tokens: ids.map((id) => ({ id, text: String(id), span: null, special: id < 3 })),
    }),
    forward: async (request: ForwardRequest) => {
      if (!("ids" in request.inputs)) throw new Error("ids only");
      const rows = request.inputs.ids;
      const positions = request.positions ?? rows.map((row) => row.map((_, p) => p));
      const width = positions[0]!.length;
      const logits = new Float64Array(rows.length * width * vocab);
      rows.forEach((row, b) => {
        positions[b]!.forEach((position, p) => {
          logits[(b * width + p) * vocab + target] = value(row, position);
        });
      });
      return { logits: { data: logits, dims: [rows.length, width, vocab] } };
    },
  };
}

/** A token for hand-built sequences. */
export function token(id: number, text = String(id), special = false): Token {
  return { id, text, span: null, special };
}

/** A sequence with BOS + `sourceIds` as source and `targetIds` as target, every step attributed. */
export function indicatorSequence(sourceIds: number[], targetIds: number[]): MethodSequence {
  return {
    source: [token(BOS, "<s>", true), ...sourceIds.map((id) => token(id))],
    target: targetIds.map((id) => token(id)),
    steps: targetIds.map((_, index) => index),
  };
}

/** Wraps `model` so tests can count forward calls and the rows of each. */
export function countForwardCalls(model: LanguageModel): { model: LanguageModel; rowsPerCall: number[] } {
  const rowsPerCall: number[] = [];
  const forward = model.forward!;
  return {
    rowsPerCall,
    model: {
      ...model,
      forward: async (request) => {
        const inputs = request.inputs;
        rowsPerCall.push("ids" in inputs ? inputs.ids.length : inputs.embeddings.dims[0]!);
        return forward(request);
      },
    },
  };
}

/**
 * A method context with defaults (probability, no target attribution, no parameters). Parameters are
 * raw, as a user passes them: `run` parses them with the method's schema.
 */
export function contextFor(
  model: LanguageModel,
  sequences: MethodSequence[],
  overrides: Partial<Omit<MethodContext<unknown>, "parameters">> & {
    parameters?: Record<string, unknown>;
  } = {},
): MethodContext<never> {
  return {
    model,
    sequences,
    attributedFunction: { id: "probability", parameters: {} },
    attributeTarget: false,
    ...overrides,
    parameters: (overrides.parameters ?? {}) as never,
  };
}

/** Source and target tokens of the toy model for a prompt (with BOS) and a target, every step attributed. */
export async function toySequence(
  model: LanguageModel,
  prompt: string,
  target: string,
): Promise<MethodSequence> {
  const source = (await model.tokenize(prompt, { addSpecialTokens: true })).tokens;
  const targetTokens = (await model.tokenize(target, { addSpecialTokens: false })).tokens;
  return { source, target: targetTokens, steps: targetTokens.map((_, index) => index) };
}

/** Softmax probability of `targetId` from one logit vector, in float64. */
export function softmaxProbability(logits: ArrayLike<number>, targetId: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let v = 0; v < logits.length; v++) max = Math.max(max, logits[v]!);
  let sum = 0;
  for (let v = 0; v < logits.length; v++) sum += Math.exp(logits[v]! - max);
  return Math.exp(logits[targetId]! - max) / sum;
}

/** The probability `model` gives `targetId` right after `ids`: one forward call, softmax in float64. */
export async function probabilityOfIds(
  model: LanguageModel,
  ids: number[],
  targetId: number,
): Promise<number> {
  const { logits } = await model.forward!({ inputs: { ids: [ids] }, positions: [[ids.length - 1]] });
  return softmaxProbability(logits.data, targetId);
}

/**
 * The target probability the toy model gives after `ids`, with the input
 * embeddings of `zeroed` positions set to zero — computed here, independently
 * of the methods: embed, zero, one forward call.
 */
export async function probabilityWithZeroed(
  model: LanguageModel,
  ids: number[],
  zeroed: number[],
  targetId: number,
): Promise<number> {
  const embedded = await model.embed!([ids]);
  const hidden = embedded.dims[2]!;
  const data = Float64Array.from(embedded.data);
  for (const position of zeroed) data.fill(0, position * hidden, (position + 1) * hidden);
  const { logits } = await model.forward!({
    inputs: { embeddings: { data, dims: [1, ids.length, hidden] } },
    positions: [[ids.length - 1]],
  });
  return softmaxProbability(logits.data, targetId);
}
