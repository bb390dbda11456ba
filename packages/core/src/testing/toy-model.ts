import { TokenscopeError, throwIfAborted } from "../errors/index.ts";
import type { Capability } from "../model/capabilities.ts";
import type {
  ForwardRequest,
  ForwardResult,
  GenerationOptions,
  GenerationResult,
  GradientRequest,
  GradientResult,
  LanguageModel,
  ModelInputs,
  Tokenization,
} from "../model/language-model.ts";
import type { DenseTensor } from "../model/tensor.ts";
import type { Token } from "../model/token.ts";
import { seededUniform } from "../random/seeded-random.ts";
import { getStepFunction } from "../registry/registries.ts";

/** Options of {@link createToyModel}. */
export interface ToyModelOptions {
  /** Seed of the fixed random weights. */
  seed?: number;
  hidden?: number;
  /** Decay of the causal running sum (0 < decay ≤ 1). */
  decay?: number;
  contextLength?: number;
}

const BOS = 1;
const EOS = 2;
const UNK = 0;
const FIRST_CHAR = 3;
/** Characters the toy tokenizer knows: one token each. */
const ALPHABET = " abcdefghijklmnopqrstuvwxyz.,!?'";

/**
 * A tiny causal language model written in plain TypeScript with exact
 * gradients, for testing methods without ONNX: one token per character, input
 * embeddings E, a decaying causal running sum h_t = tanh(Σ_{s≤t} decay^(t−s) e_s),
 * logits_t = U h_t + b. Position t depends only on positions ≤ t, so causality
 * holds exactly.
 */
export function createToyModel(options: ToyModelOptions = {}): LanguageModel {
  const hidden = options.hidden ?? 8;
  const decay = options.decay ?? 0.8;
  const contextLength = options.contextLength ?? 64;
  const vocab = FIRST_CHAR + ALPHABET.length;
  const next = seededUniform(options.seed ?? 7);
  const embedding = Float64Array.from({ length: vocab * hidden }, () => next() * 2 - 1);
  const unembedding = Float64Array.from({ length: vocab * hidden }, () => (next() * 2 - 1) * 1.5);
  const bias = Float64Array.from({ length: vocab }, () => (next() - 0.5) * 0.1);
  const capabilities = new Set<Capability>(["tokenize", "embed", "forward", "gradients", "generate"]);

  const tokenText = (id: number): string =>
    id === BOS ? "<s>" : id === EOS ? "</s>" : id === UNK ? "<unk>" : ALPHABET[id - FIRST_CHAR]!;

  function embedRows(ids: number[][]): DenseTensor<Float64Array> {
    const seq = ids[0]?.length ?? 0;
    const data = new Float64Array(ids.length * seq * hidden);
    ids.forEach((row, b) => {
      if (row.length !== seq)
        throw new TokenscopeError("INVALID_INPUT", "Rows of a batch must have equal length.");
      row.forEach((id, t) => {
        if (!Number.isInteger(id) || id < 0 || id >= vocab) {
          throw new TokenscopeError(
            "INVALID_INPUT",
            `Token id ${id} is outside the vocabulary [0, ${vocab}).`,
          );
        }
        data.set(embedding.subarray(id * hidden, (id + 1) * hidden), (b * seq + t) * hidden);
      });
    });
    return { data, dims: [ids.length, seq, hidden] };
  }

  function embeddingsOf(inputs: ModelInputs): DenseTensor {
    if ("ids" in inputs) return embedRows(inputs.ids);
    if (inputs.embeddings.dims.length !== 3 || inputs.embeddings.dims[2] !== hidden) {
      throw new TokenscopeError("INVALID_INPUT", `Embeddings must be [batch, seq, ${hidden}].`);
    }
    return inputs.embeddings;
  }

  /** Hidden states [batch, seq, hidden] after tanh. */
  function hiddenStates(embeddings: DenseTensor): Float64Array {
    const [batch, seq] = embeddings.dims as [number, number, number];
    const states = new Float64Array(batch * seq * hidden);
    const running = new Float64Array(hidden);
    for (let b = 0; b < batch; b++) {
      running.fill(0);
      for (let t = 0; t < seq; t++) {
        const offset = (b * seq + t) * hidden;
        for (let k = 0; k < hidden; k++) {
          running[k] = running[k]! * decay + embeddings.data[offset + k]!;
          states[offset + k] = Math.tanh(running[k]!);
        }
      }
    }
    return states;
  }

  function logitsAt(states: Float64Array, offset: number, out: Float64Array, outOffset: number): void {
    for (let v = 0; v < vocab; v++) {
      let sum = bias[v]!;
      for (let k = 0; k < hidden; k++) sum += unembedding[v * hidden + k]! * states[offset + k]!;
      out[outOffset + v] = sum;
    }
  }

  async function forward(request: ForwardRequest): Promise<ForwardResult> {
    throwIfAborted(request.signal);
    const embeddings = embeddingsOf(request.inputs);
    const [batch, seq] = embeddings.dims as [number, number, number];
    const states = hiddenStates(embeddings);
    const positions = request.positions ?? Array.from({ length: batch }, () => [...Array(seq).keys()]);
    const width = positions[0]?.length ?? 0;
    const logits = new Float64Array(batch * width * vocab);
    positions.forEach((rowPositions, b) => {
      rowPositions.forEach((position, p) => {
        logitsAt(states, (b * seq + position) * hidden, logits, (b * width + p) * vocab);
      });
    });
    return { logits: { data: logits, dims: [batch, width, vocab] } };
  }

  async function gradients(request: GradientRequest): Promise<GradientResult> {
    throwIfAborted(request.signal);
    if (request.wrt && request.wrt.kind !== "embeddings") {
      throw new TokenscopeError(
        "MISSING_CAPABILITY",
        "The toy model only gives gradients for input embeddings.",
      );
    }
    const embeddings = embeddingsOf(request.inputs);
    const [batch, seq] = embeddings.dims as [number, number, number];
    const states = hiddenStates(embeddings);
    const { objective: spec } = request;
    const logits = new Float64Array(batch * vocab);
    const objective = new Float64Array(batch);
    const grads = new Float64Array(batch * seq * hidden);
    for (let b = 0; b < batch; b++) {
      const position = spec.positions[b]!;
      const row = logits.subarray(b * vocab, (b + 1) * vocab);
      logitsAt(states, (b * seq + position) * hidden, logits, b * vocab);
      let seed: Float64Array;
      if (spec.kind === "stepFunction") {
        const stepFunction = getStepFunction(spec.stepFunction);
        const output = stepFunction.evaluate(
          {
            logits: row,
            targetId: spec.targetIds[b]!,
            contrastTargetId: spec.contrastTargetIds?.[b],
            parameters: spec.parameters ?? {},
          },
          true,
        );
        objective[b] = output.value;
        seed = output.gradLogits as Float64Array;
      } else {
        seed = Float64Array.from(spec.seeds.data.subarray(b * vocab, (b + 1) * vocab));
        objective[b] = Number.NaN;
      }
      // d objective / d pre-activation at `position`, then back through the decaying sum.
      const offset = (b * seq + position) * hidden;
      const dPre = new Float64Array(hidden);
      for (let k = 0; k < hidden; k++) {
        let dState = 0;
        for (let v = 0; v < vocab; v++) dState += unembedding[v * hidden + k]! * seed[v]!;
        dPre[k] = dState * (1 - states[offset + k]! ** 2);
      }
      for (let s = 0; s <= position; s++) {
        const factor = decay ** (position - s);
        for (let k = 0; k < hidden; k++) grads[(b * seq + s) * hidden + k] = factor * dPre[k]!;
      }
    }
    return {
      gradients: { data: grads, dims: [batch, seq, hidden] },
      activations: embeddings,
      objective,
      logits: { data: logits, dims: [batch, 1, vocab] },
    };
  }

  async function tokenize(
    text: string,
    tokenizeOptions = {} as { addSpecialTokens?: boolean },
  ): Promise<Tokenization> {
    const tokens: Token[] = [];
    if (tokenizeOptions.addSpecialTokens ?? true)
      tokens.push({ id: BOS, text: "", span: null, special: true });
    [...text].forEach((char, index) => {
      const position = ALPHABET.indexOf(char.toLowerCase());
      tokens.push({
        id: position < 0 ? UNK : FIRST_CHAR + position,
        text: char,
        span: [index, index + 1],
        special: false,
      });
    });
    return { text, tokens };
  }

  async function generate(
    promptIds: number[],
    generation: GenerationOptions = {},
  ): Promise<GenerationResult> {
    const ids: number[] = [];
    const maxNewTokens = generation.maxNewTokens ?? 8;
    for (let step = 0; step < maxNewTokens; step++) {
      throwIfAborted(generation.signal);
      const forced = generation.forcedIds?.[step];
      let chosen = forced;
      if (chosen === undefined) {
        const sequence = [...promptIds, ...ids];
        const { logits } = await forward({ inputs: { ids: [sequence] }, positions: [[sequence.length - 1]] });
        chosen = FIRST_CHAR;
        for (let v = FIRST_CHAR; v < vocab; v++) if (logits.data[v]! > logits.data[chosen]!) chosen = v;
      }
      ids.push(chosen);
      if (generation.stopTokenIds?.includes(chosen)) break;
    }
    return { ids, text: ids.map(tokenText).join("") };
  }

  return {
    info: {
      id: `toy-model-seed-${options.seed ?? 7}`,
      architecture: "toy-decaying-sum",
      vocabSize: vocab,
      hiddenSize: hidden,
      numLayers: 1,
      numHeads: 1,
      contextLength,
      encoderDecoder: false,
      specialTokens: { bos: BOS, eos: [EOS], unk: UNK },
    },
    capabilities,
    tokenize,
    detokenize: async (ids) =>
      ids
        .filter((id) => id >= FIRST_CHAR)
        .map(tokenText)
        .join(""),
    decodeTokens: async (ids) => {
      let text = "";
      const tokens: Token[] = ids.map((id) => {
        const special = id < FIRST_CHAR;
        const piece = special ? "" : tokenText(id);
        const span: [number, number] | null = special ? null : [text.length, text.length + piece.length];
        text += piece;
        return { id, text: piece, span, special };
      });
      return { text, tokens };
    },
    embed: async (ids) => embedRows(ids),
    forward,
    gradients,
    generate,
  };
}
