import { TokenscopeError } from "@tokenscope/core";
import { scoreBpeTextTokenizer, type TextTokenizer } from "../language-model/text-tokenizer.ts";
import { ggufBpeTokenizer } from "./gguf-bpe.ts";
import { ggufLlamaTokenizer } from "./gguf-llama.ts";

/**
 * The tokenizer a GGUF file's metadata holds, by `tokenizer.ggml.model`: "llama" (SentencePiece
 * score BPE, see `gguf-llama.ts`) or "gpt2" (byte-level BPE through the Hugging Face tokenizer, see
 * `gguf-bpe.ts`). `vocabSize` is the model's, which the tokenizer must fit.
 * @throws TokenscopeError UNSUPPORTED_ARCHITECTURE for another tokenizer model (the supported ones
 *   named); MODEL_LOAD_FAILED for a damaged tokenizer.
 */
export function ggufTextTokenizer(
  metadata: Record<string, unknown>,
  source: string,
  vocabSize: number,
): TextTokenizer {
  const model = metadata["tokenizer.ggml.model"];
  if (model === "llama") {
    return scoreBpeTextTokenizer(
      ggufLlamaTokenizer(metadata, source),
      `GGUF llama tokenizer, ${vocabSize} tokens`,
    );
  }
  if (model === "gpt2") return ggufBpeTokenizer(metadata, { source, vocabSize });
  throw new TokenscopeError(
    "UNSUPPORTED_ARCHITECTURE",
    `${source}: GGUF tokenizer model "${String(model)}" is not supported; supported: "llama", "gpt2".`,
    {
      hint: "Load the model from its safetensors folder with its tokenizer.json instead.",
      details: { source },
    },
  );
}
