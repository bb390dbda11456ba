import type { Capability, ForwardRequest, LanguageModel } from "@tokenscope/core";

/** Token weights of {@link createWeightModel}: unk 0, bos 0, ids 2–4 weigh 1, 2, 4; id 5 is the target. */
/** Weight of each token id (its one-number embedding). */
export const WEIGHTS = [0, 0, 1, 2, 4, 0];
/** The id whose probability carries the function. */
export const TARGET = 5;

/**
 * A hand-written causal model whose next-token distribution is known in closed form: with
 * c = Σ_{s ≤ p} e_s (e_s the one-number input embedding, WEIGHTS[id]), the logits at position p are 0 for
 * ids 0–4 and log(1 + c) for id 5, so p(5) = (1 + c) / (6 + c). The unk token and the zero embedding
 * both weigh 0, so erasing a token removes its weight.
 */
export function createWeightModel(id = "weight-model"): LanguageModel {
  const vocab = WEIGHTS.length;
  const capabilities = new Set<Capability>(["tokenize", "embed", "forward"]);
  const embedRows = (ids: number[][]) => ({
    data: Float64Array.from(ids.flat().map((token) => WEIGHTS[token]!)),
    dims: [ids.length, ids[0]?.length ?? 0, 1],
  });
  return {
    info: {
      id,
      architecture: "weights",
      vocabSize: vocab,
      hiddenSize: 1,
      numLayers: 0,
      numHeads: 1,
      contextLength: 64,
      encoderDecoder: false,
      specialTokens: { bos: 1, unk: 0 },
    },
    capabilities,
    tokenize: async (text) => ({ text, tokens: [] }),
    detokenize: async () => "",
    decodeTokens: async () => ({ text: "", tokens: [] }),
    embed: async (ids) => embedRows(ids),
    forward: async (request: ForwardRequest) => {
      const embeddings = "ids" in request.inputs ? embedRows(request.inputs.ids) : request.inputs.embeddings;
      const [batch, seq] = embeddings.dims as [number, number, number];
      const positions = request.positions ?? Array.from({ length: batch }, () => [...Array(seq).keys()]);
      const width = positions[0]!.length;
      const logits = new Float64Array(batch * width * vocab);
      positions.forEach((row, b) => {
        row.forEach((position, p) => {
          let c = 0;
          for (let s = 0; s <= position; s++) c += embeddings.data[b * seq + s]!;
          logits[(b * width + p) * vocab + TARGET] = Math.log(1 + c);
        });
      });
      return { logits: { data: logits, dims: [batch, width, vocab] } };
    },
  };
}
