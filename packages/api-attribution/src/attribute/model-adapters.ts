import { type LanguageModel, TokenscopeError } from "@tokenscope/core";
import type { OutputEmbedder } from "../measures/types.ts";
import type { EmbeddingSpace } from "../perturbation/types.ts";
import type { UnitTokenizer } from "../units/types.ts";

/** A loaded model's tokenizer as the token units' tokenizer. */
export function modelTokenizer(model: LanguageModel): UnitTokenizer {
  return { tokenize: (text, options) => model.tokenize(text, options) };
}

/**
 * A loaded model's input embeddings as the embedding space of `nearest` and `cosine`: the whole
 * vocabulary's embeddings are read once (model.embed), on first use.
 */
export function modelEmbeddings(model: LanguageModel): EmbeddingSpace & OutputEmbedder {
  const embed = model.embed?.bind(model);
  if (!embed) {
    throw new TokenscopeError("MISSING_CAPABILITY", `${model.info.id} cannot give its token embeddings.`, {
      hint: "Pick an embeddings model that tokenscope loads with its weights (a Hugging Face folder, .gguf or llama2.c checkpoint).",
      details: { model: model.info.id },
    });
  }
  let matrix: Promise<{ data: Float32Array | Float64Array; rows: number; dims: number }> | undefined;
  const textTokens = async (text: string) =>
    (await model.tokenize(text, { addSpecialTokens: false })).tokens.filter(
      (token) => !token.special && token.id !== null && token.span !== null,
    );
  return {
    async encode(text) {
      return (await textTokens(text)).map((token) => token.id!);
    },
    async decode(id) {
      return (await model.decodeTokens([id])).text;
    },
    async tokenize(text) {
      return (await textTokens(text)).map((token) => ({ id: token.id!, span: token.span! }));
    },
    embeddings() {
      matrix ??= (async () => {
        const rows = model.info.vocabSize;
        const tensor = await embed([Array.from({ length: rows }, (_, id) => id)]);
        const dims = tensor.dims.at(-1)!;
        return { data: tensor.data, rows, dims };
      })();
      return matrix;
    },
  };
}
