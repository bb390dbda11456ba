import {
  decoderInputIds,
  type LanguageModel,
  type MethodSequence,
  sourceLengthsFor,
  type TensorData,
  TokenscopeError,
  unknownToken,
} from "@tokenscope/core";

/** A baseline of integrated gradients: a special token's embedding, zeros, or a custom embedding vector. */
export type BaselineChoice = "unk" | "pad" | "zero" | number[];

/**
 * The token id of a token baseline: for "unk" core's `unknownToken` (the unknown token, else padding,
 * else EOS, Inseq's order), padding for "pad".
 * @throws TokenscopeError INVALID_PARAMETERS when the model defines no such token; `hint` says what to
 *   use instead.
 */
export function baselineTokenId(
  model: LanguageModel,
  choice: "unk" | "pad",
  hint = `Use baseline "zero", or give a custom baseline embedding (an array of ${model.info.embeddingSize ?? model.info.hiddenSize} numbers).`,
): number {
  const id = choice === "unk" ? unknownToken(model.info.specialTokens)?.id : model.info.specialTokens.pad;
  if (id === undefined) {
    throw new TokenscopeError(
      "INVALID_PARAMETERS",
      `Baseline "${choice}" needs ${choice === "unk" ? "an unknown, padding or EOS" : "a padding"} token id, but model "${model.info.id}" defines ${choice === "unk" ? "neither" : "none"}.`,
      {
        hint,
        details: { baseline: choice, model: model.info.id, specialTokens: model.info.specialTokens },
      },
    );
  }
  return id;
}

/**
 * Refuses `keep` indices past the sequence of `seq` tokens (source then target).
 * @throws TokenscopeError INVALID_PARAMETERS naming the first such index.
 */
export function checkKeep(keep: readonly number[], seq: number): void {
  const outside = keep.find((index) => index >= seq);
  if (outside === undefined) return;
  throw new TokenscopeError(
    "INVALID_PARAMETERS",
    `keep lists token index ${outside}, but the sequence has ${seq} tokens (source then target).`,
    {
      hint: "keep indexes the model input: source tokens from 0, then target tokens.",
      details: { keep, tokens: seq },
    },
  );
}

/**
 * The baseline embeddings x′ [seq, hidden] of `sequence` for integrated
 * gradients. Every position is replaced — special tokens (BOS) included — so
 * completeness holds against f(x′), except the positions listed in `keep`,
 * which take the input's own embedding (e.g. [0] keeps BOS). Token baselines
 * embed a whole row of that token, so any position-dependent embedding of the
 * model applies to them as to the input.
 */
export async function baselineEmbeddings(
  model: LanguageModel,
  sequence: MethodSequence,
  input: TensorData,
  choice: BaselineChoice,
  keep: readonly number[],
): Promise<Float64Array> {
  const ids = decoderInputIds(sequence);
  const seq = ids.length;
  const hidden = input.length / seq;
  checkKeep(keep, seq);
  let baseline: Float64Array;
  if (choice === "zero") {
    baseline = new Float64Array(seq * hidden);
  } else if (Array.isArray(choice)) {
    if (choice.length !== hidden) {
      throw new TokenscopeError(
        "INVALID_PARAMETERS",
        `A custom baseline embedding needs ${hidden} numbers (the width of the model's input embeddings), got ${choice.length}.`,
        {
          hint: `Give one embedding vector of length ${hidden}; it replaces every position.`,
          details: { hidden },
        },
      );
    }
    baseline = new Float64Array(seq * hidden);
    for (let position = 0; position < seq; position++) baseline.set(choice, position * hidden);
  } else {
    const id = baselineTokenId(model, choice);
    const sourceLength = sequence.source.length;
    // An encoder-decoder's baseline token is a source id: its target positions keep their own
    // tokens (they are held at the input unless the target prefix is attributed).
    const row = model.info.encoderDecoder
      ? ids.map((own, position) => (position < sourceLength ? id : own))
      : ids.map(() => id);
    baseline = Float64Array.from((await model.embed!([row], sourceLengthsFor(model, [sourceLength]))).data);
  }
  for (const position of keep) {
    baseline.set(input.subarray(position * hidden, (position + 1) * hidden), position * hidden);
  }
  return baseline;
}
