import { TokenscopeError } from "@tokenscope/core";
import { bytesInMemory, readSafetensorsAt, type SafetensorsFile } from "../formats/safetensors/read.ts";
import { readShardedSafetensors, SAFETENSORS_INDEX_FILE } from "../formats/safetensors/sharded.ts";
import {
  type ModelFileSource,
  missingFile,
  readWeightsFile,
  type SourceReadOptions,
  sourcePath,
} from "./file-source.ts";

async function requiredWeightsFile(source: ModelFileSource, path: string, options?: SourceReadOptions) {
  const file = await readWeightsFile(source, path, options);
  if (file !== undefined) return file;
  throw missingFile(source, path);
}

/**
 * The safetensors weights of a model's files: the shards named by `model.safetensors.index.json`
 * when it exists, else `model.safetensors` (the Node `loadSafetensorsFolder` runs this over a folder).
 * @throws TokenscopeError MODEL_LOAD_FAILED when neither exists, or a shard is missing or damaged.
 */
export async function loadSafetensorsFrom(
  source: ModelFileSource,
  options?: SourceReadOptions,
): Promise<SafetensorsFile> {
  const index = await source.read(SAFETENSORS_INDEX_FILE, options);
  if (index !== undefined) {
    return readShardedSafetensors(index, (shard) => requiredWeightsFile(source, shard, options), {
      source: sourcePath(source, SAFETENSORS_INDEX_FILE),
    });
  }
  const single = await readWeightsFile(source, "model.safetensors", options);
  if (single !== undefined) {
    const file = single instanceof Uint8Array ? bytesInMemory(single) : single;
    return readSafetensorsAt(file, { source: sourcePath(source, "model.safetensors") });
  }
  throw new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `${source.id} has neither ${SAFETENSORS_INDEX_FILE} nor model.safetensors.`,
    {
      hint: "Point at the folder that holds the model's weights.",
      details: { folder: source.id },
    },
  );
}
