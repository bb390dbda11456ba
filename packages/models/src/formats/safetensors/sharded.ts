import { TokenscopeError } from "@tokenscope/core";
import { safetensorsDtypeBytes } from "./dtypes.ts";
import { bytesInMemory, type RandomAccessBytes, readSafetensorsAt, type SafetensorsFile } from "./read.ts";
import { type SafetensorsWriteTensor, writeSafetensors } from "./write.ts";

/** The standard name of a sharded checkpoint's index. */
export const SAFETENSORS_INDEX_FILE = "model.safetensors.index.json";

/** The JSON of `model.safetensors.index.json`: which shard holds each tensor. */
export interface SafetensorsIndex {
  metadata?: Record<string, unknown>;
  weight_map: Record<string, string>;
}

/** Options of {@link readShardedSafetensors}. */
export interface ShardedReadOptions {
  /** Name of the index (or folder), used in error messages. */
  source?: string;
}

/**
 * Reads a sharded checkpoint: parses the index (its JSON text or bytes), loads each shard it names
 * once through `loadShard` (a file read in Node, a fetch in a browser) and merges the tensors in
 * weight-map order. A tensor listed in the index but absent from its shard fails with
 * `MODEL_LOAD_FAILED`; shard metadata is merged, the first shard winning on conflicts.
 */
export async function readShardedSafetensors(
  index: string | Uint8Array,
  loadShard: (fileName: string) => Promise<Uint8Array | RandomAccessBytes>,
  options: ShardedReadOptions = {},
): Promise<SafetensorsFile> {
  const source = options.source ?? SAFETENSORS_INDEX_FILE;
  const parsed = parseIndex(index, source);
  const shardNames = [...new Set(Object.values(parsed.weight_map))];
  const shards = new Map<string, SafetensorsFile>();
  for (const shardName of shardNames) {
    if (shardName.includes("/") || shardName.includes("\\") || shardName.startsWith(".")) {
      throw indexError(source, `the shard name ${JSON.stringify(shardName)} is not a plain file name`);
    }
    const shard = await loadShard(shardName);
    const file = shard instanceof Uint8Array ? bytesInMemory(shard) : shard;
    shards.set(shardName, readSafetensorsAt(file, { source: shardName }));
  }
  const merged: SafetensorsFile = { metadata: {}, tensors: new Map() };
  for (const shard of [...shards.values()].reverse()) Object.assign(merged.metadata, shard.metadata);
  for (const [name, shardName] of Object.entries(parsed.weight_map)) {
    const tensor = shards.get(shardName)!.tensors.get(name);
    if (!tensor)
      throw indexError(source, `tensor "${name}" is listed in ${shardName} but that shard lacks it`);
    merged.tensors.set(name, tensor);
  }
  return merged;
}

function parseIndex(index: string | Uint8Array, source: string): SafetensorsIndex {
  let json: unknown;
  try {
    json = JSON.parse(typeof index === "string" ? index : new TextDecoder().decode(index));
  } catch (error) {
    throw indexError(
      source,
      `the index is not valid JSON (${error instanceof Error ? error.message : error})`,
    );
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== "object" || weightMap === null)
    throw indexError(source, "the index has no weight_map");
  for (const [name, file] of Object.entries(weightMap)) {
    if (typeof file !== "string") throw indexError(source, `weight_map["${name}"] is not a file name`);
  }
  return json as SafetensorsIndex;
}

function indexError(source: string, what: string): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
    hint: "The sharded checkpoint is incomplete or damaged; download it again.",
    details: { source },
  });
}

/** Options of {@link writeShardedSafetensors}. */
export interface ShardedWriteOptions {
  /** A shard is closed once adding the next tensor would pass this many data bytes (default 5 GB). */
  maxShardBytes?: number;
  /** Metadata written into every shard. */
  metadata?: Record<string, string>;
}

/** The files of a sharded checkpoint: shard name → bytes, plus the index to write beside them. */
export interface ShardedSafetensors {
  shards: Map<string, Uint8Array>;
  index: SafetensorsIndex;
}

/**
 * Splits tensors into shards named `model-0000i-of-0000n.safetensors` (Hugging Face's naming) of
 * at most `maxShardBytes` data bytes each (a larger tensor gets a shard of its own), and builds the
 * index; write `index` as JSON to {@link SAFETENSORS_INDEX_FILE}.
 */
export function writeShardedSafetensors(
  tensors: Iterable<[string, SafetensorsWriteTensor]>,
  options: ShardedWriteOptions = {},
): ShardedSafetensors {
  const maxShardBytes = options.maxShardBytes ?? 5_000_000_000;
  const groups: Array<Array<[string, SafetensorsWriteTensor]>> = [[]];
  let groupBytes = 0;
  let totalBytes = 0;
  for (const entry of tensors) {
    const [, tensor] = entry;
    const bytes = tensor.dims.reduce((a, b) => a * b, 1) * safetensorsDtypeBytes[tensor.dtype];
    if (groupBytes + bytes > maxShardBytes && groups.at(-1)!.length > 0) {
      groups.push([]);
      groupBytes = 0;
    }
    groups.at(-1)!.push(entry);
    groupBytes += bytes;
    totalBytes += bytes;
  }
  const total = String(groups.length).padStart(5, "0");
  const shards = new Map<string, Uint8Array>();
  const weightMap: Record<string, string> = {};
  groups.forEach((group, i) => {
    const shardName = `model-${String(i + 1).padStart(5, "0")}-of-${total}.safetensors`;
    shards.set(shardName, writeSafetensors(group, options.metadata));
    for (const [name] of group) weightMap[name] = shardName;
  });
  return { shards, index: { metadata: { total_size: totalBytes }, weight_map: weightMap } };
}
