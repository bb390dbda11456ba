import {
  type CTranslate2TransformerFolder,
  loadCTranslate2TransformerFrom,
} from "../../browser/ctranslate2-from-source.ts";
import { folderSource } from "../../browser/folder-source.ts";

export type { CTranslate2TransformerFolder };

/**
 * Reads a CTranslate2 Transformer folder: `model.bin`, `source_vocabulary.txt` and
 * `target_vocabulary.txt` (or their `.json`, or `shared_vocabulary.*`). The vocabulary sizes must
 * match the embedding tables; `<s>` and `</s>` of the target vocabulary go into the config. The
 * reading is `loadCTranslate2TransformerFrom`'s over the folder, shared with the browser loader.
 * @throws TokenscopeError IO_ERROR (unreadable), MODEL_LOAD_FAILED (damaged, sizes disagree),
 * UNSUPPORTED_ARCHITECTURE (another spec).
 */
export async function loadCTranslate2TransformerFolder(
  folder: string,
): Promise<CTranslate2TransformerFolder> {
  return loadCTranslate2TransformerFrom(folderSource(folder));
}
