import { SAFETENSORS_INDEX_FILE } from "../formats/safetensors/sharded.ts";

/**
 * Which files of a Hugging Face model repository tokenscope needs: config, tokenizer, chat
 * template and safetensors weights (sharded or not), never other weight formats, ONNX exports,
 * images or READMEs.
 */
const neededHfFiles: readonly string[] = [
  "config.json",
  "generation_config.json",
  "tokenizer.json",
  "tokenizer_config.json",
  "special_tokens_map.json",
  "chat_template.jinja",
  "chat_template.json",
  // Marian (opus-mt) tokenizers: SentencePiece models of each side and their shared ids.
  "source.spm",
  "target.spm",
  "vocab.json",
];

const singleWeights = "model.safetensors";

/**
 * The files to fetch from a repository listing (top-level paths): the needed metadata files it
 * has and its weights: the index and the shards it names, else `model.safetensors`. `readIndex`
 * reads the index once fetched. Undefined weights means the repository has no safetensors.
 */
export async function selectHfFiles(
  listing: readonly string[],
  readIndex: () => Promise<Record<string, string>>,
): Promise<{ metadata: string[]; weights: string[] | undefined }> {
  const present = new Set(listing);
  const metadata = neededHfFiles.filter((name) => present.has(name));
  if (present.has(SAFETENSORS_INDEX_FILE)) {
    const shards = [...new Set(Object.values(await readIndex()))];
    return { metadata, weights: [SAFETENSORS_INDEX_FILE, ...shards] };
  }
  return { metadata, weights: present.has(singleWeights) ? [singleWeights] : undefined };
}

/** What a cached snapshot must hold to load offline: config and complete weights. */
export function missingHfFiles(
  present: ReadonlySet<string>,
  index: Record<string, string> | undefined,
): string[] {
  const missing: string[] = [];
  if (!present.has("config.json")) missing.push("config.json");
  if (index) {
    for (const shard of new Set(Object.values(index))) if (!present.has(shard)) missing.push(shard);
  } else if (!present.has(SAFETENSORS_INDEX_FILE) && !present.has(singleWeights)) {
    missing.push(`${singleWeights} (or ${SAFETENSORS_INDEX_FILE})`);
  }
  return missing;
}
