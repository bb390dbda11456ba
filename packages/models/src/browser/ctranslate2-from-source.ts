import { TokenscopeError } from "@tokenscope/core";
import { readCTranslate2Model } from "../formats/ctranslate2/read-model.ts";
import { ctranslate2TransformerWeights } from "../formats/ctranslate2/transformer-weights.ts";
import { type CTranslate2Vocabulary, parseCTranslate2Vocabulary } from "../formats/ctranslate2/vocabulary.ts";
import type { EncoderDecoderWeights } from "../graphs/encoder-decoder/types.ts";
import {
  type ModelFileSource,
  readRequiredFile,
  readSourceText,
  type SourceReadOptions,
  sourcePath,
} from "./file-source.ts";

/*
 * The CTranslate2 Transformer reader over any ModelFileSource: the Node
 * `loadCTranslate2TransformerFolder` runs it over a folder, the browser loader over picked files.
 */

/** A CTranslate2 Transformer folder in memory: weights and the two vocabularies. */
export interface CTranslate2TransformerFolder {
  weights: EncoderDecoderWeights;
  sourceVocabulary: CTranslate2Vocabulary;
  targetVocabulary: CTranslate2Vocabulary;
}

/** `{side}_vocabulary.json` or `.txt`, else the `shared_vocabulary.*` of a model with one vocabulary. */
async function readVocabulary(
  files: ModelFileSource,
  side: "source" | "target",
): Promise<CTranslate2Vocabulary> {
  const folder = files.id;
  for (const stem of [`${side}_vocabulary`, "shared_vocabulary"]) {
    for (const format of ["json", "lines"] as const) {
      const name = `${stem}.${format === "json" ? "json" : "txt"}`;
      const path = sourcePath(files, name);
      const text = await readSourceText(files, name);
      if (text !== undefined) return parseCTranslate2Vocabulary(text, { source: path, format });
    }
  }
  throw new TokenscopeError("MODEL_LOAD_FAILED", `${folder} has no ${side} vocabulary.`, {
    hint: `A CTranslate2 folder holds ${side}_vocabulary.txt (or .json, or shared_vocabulary.*) beside model.bin.`,
    details: { folder, side },
  });
}

/**
 * Reads a CTranslate2 Transformer's files: `model.bin`, `source_vocabulary.txt` and
 * `target_vocabulary.txt` (or their `.json`, or `shared_vocabulary.*`). The vocabulary sizes must
 * match the embedding tables; `<s>` and `</s>` of the target vocabulary go into the config.
 * @throws TokenscopeError IO_ERROR (unreadable), MODEL_LOAD_FAILED (damaged, sizes disagree),
 * UNSUPPORTED_ARCHITECTURE (another spec).
 */
export async function loadCTranslate2TransformerFrom(
  files: ModelFileSource,
  options?: SourceReadOptions,
): Promise<CTranslate2TransformerFolder> {
  const folder = files.id;
  const modelPath = sourcePath(files, "model.bin");
  const model = readCTranslate2Model(await readRequiredFile(files, "model.bin", options), {
    source: modelPath,
  });
  const sourceVocabulary = await readVocabulary(files, "source");
  const targetVocabulary = await readVocabulary(files, "target");
  const start = targetVocabulary.ids.get("<s>");
  const end = targetVocabulary.ids.get("</s>");
  const weights = ctranslate2TransformerWeights(model, {
    source: modelPath,
    ...(start === undefined ? {} : { decoderStartTokenId: start }),
    ...(end === undefined ? {} : { eosTokenId: end }),
  });
  const check = (side: string, vocabulary: CTranslate2Vocabulary, rows: number) => {
    if (vocabulary.tokens.length !== rows) {
      throw new TokenscopeError(
        "MODEL_LOAD_FAILED",
        `${folder}: the ${side} vocabulary has ${vocabulary.tokens.length} tokens (with <unk>) but the ${side} embedding has ${rows} rows.`,
        { hint: "The vocabulary files do not belong to this model.bin.", details: { folder, side } },
      );
    }
  };
  check("source", sourceVocabulary, weights.config.sourceVocabSize);
  check("target", targetVocabulary, weights.config.targetVocabSize);
  return { weights, sourceVocabulary, targetVocabulary };
}
