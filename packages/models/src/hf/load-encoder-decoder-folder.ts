import { folderSource } from "../browser/folder-source.ts";
import {
  hfEncoderDecoderModelTypes,
  isHfEncoderDecoderConfig,
  loadHfEncoderDecoderFamilyFrom,
} from "../browser/hf-encoder-decoder-from-source.ts";
import type { EncoderDecoderFamily } from "../encoder-decoder/family.ts";

export { hfEncoderDecoderModelTypes, isHfEncoderDecoderConfig };

/**
 * Reads a Hugging Face encoder-decoder folder — config.json (with generation_config.json's
 * decoder start, forced BOS and bad words over it), safetensors weights (single or sharded; F32,
 * F16, BF16 read as fp32), and its tokenizer (tokenizer.json; Marian's .spm files and vocab.json)
 * — as an {@link EncoderDecoderFamily}: BART, mBART, Marian (opus-mt) or T5 / flan-t5. The reading
 * is `loadHfEncoderDecoderFamilyFrom`'s over the folder, shared with the browser loader.
 * @throws TokenscopeError MODEL_LOAD_FAILED (missing or damaged files, weights that do not match
 *   the config), UNSUPPORTED_ARCHITECTURE (another model type or variant).
 */
export async function loadHfEncoderDecoderFamily(folder: string): Promise<EncoderDecoderFamily> {
  return loadHfEncoderDecoderFamilyFrom(folderSource(folder));
}
