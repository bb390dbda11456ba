import { TokenscopeError } from "@tokenscope/core";
import type { DataType, Dim, OnnxModel, RuntimeTensor } from "@tokenscope/tensor-backends";

/** One layer's cache inputs and outputs of a transformers.js export. */
export interface ExportCacheLayer {
  pastKey: string;
  pastValue: string;
  /** Absent when the graph returns no present tensors (then generation recomputes). */
  presentKey?: string;
  presentValue?: string;
}

/** The interface of a transformers.js decoder export, as read from its graph. */
export interface ExportInterface {
  /** Whether the graph takes `position_ids` (Llama-style exports do, GPT-2-style ones may not). */
  hasPositionIds: boolean;
  /** Cache layers in layer order; empty for an export without `past_key_values.*` inputs. */
  cache: ExportCacheLayer[];
  /** Element type of the cache tensors and of the logits (float32 or float16). */
  cacheType: DataType;
  logitsType: DataType;
  /** Key/value heads and head size of the cache, from the graph's shapes where they are numbers. */
  kvHeads?: number;
  headDim?: number;
}

const pastPattern = /^past_key_values\.(\d+)\.(key|value)$/;
const knownInputs = new Set(["input_ids", "attention_mask", "position_ids"]);

function staticDim(dim: Dim | undefined): number | undefined {
  return typeof dim === "number" && dim > 0 ? dim : undefined;
}

function exportFailed(source: string, what: string, hint: string): never {
  throw new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `${source} is not a transformers.js decoder export: ${what}.`,
    {
      hint,
      details: { source },
    },
  );
}

/**
 * Reads which inputs and outputs a transformers.js export has: `input_ids`, `attention_mask`,
 * optionally `position_ids`, `past_key_values.{i}.key/value` and `logits`, `present.{i}.key/value`.
 * @throws TokenscopeError MODEL_LOAD_FAILED for a graph without `input_ids` or `logits`, or with an
 *   input tokenscope cannot feed (named).
 */
export function readExportInterface(model: OnnxModel, source: string): ExportInterface {
  const graph = model.graph;
  const initializers = new Set(graph.initializers.map((tensor) => tensor.name));
  const inputs = graph.inputs.filter((input) => !initializers.has(input.name));
  const names = new Set(inputs.map((input) => input.name));
  const logits = graph.outputs.find((output) => output.name === "logits");
  if (!names.has("input_ids") || logits === undefined) {
    exportFailed(
      source,
      "it needs an input_ids input and a logits output",
      "Export the model for text generation (optimum: --task text-generation-with-past).",
    );
  }
  const unknown = inputs.filter((input) => !knownInputs.has(input.name) && !pastPattern.test(input.name));
  if (unknown.length > 0) {
    exportFailed(
      source,
      `it takes inputs tokenscope does not know how to feed (${unknown.map((input) => input.name).join(", ")})`,
      "Use a decoder export whose inputs are input_ids, attention_mask, position_ids and past_key_values.*.",
    );
  }
  const outputs = new Set(graph.outputs.map((output) => output.name));
  const layers = new Map<number, Partial<ExportCacheLayer>>();
  let cacheShape: Dim[] | undefined;
  let cacheType: DataType = "float32";
  for (const input of inputs) {
    const match = pastPattern.exec(input.name);
    if (!match) continue;
    const layer = Number(match[1]);
    const entry = layers.get(layer) ?? {};
    if (match[2] === "key") entry.pastKey = input.name;
    else entry.pastValue = input.name;
    layers.set(layer, entry);
    cacheShape ??= input.shape;
    cacheType = input.dataType;
  }
  const cache: ExportCacheLayer[] = [];
  for (let layer = 0; layer < layers.size; layer++) {
    const entry = layers.get(layer);
    if (entry?.pastKey === undefined || entry.pastValue === undefined) {
      exportFailed(
        source,
        `layer ${layer} lacks past_key_values.${layer}.key or .value`,
        "Re-export the model.",
      );
    }
    const presentKey = `present.${layer}.key`;
    const presentValue = `present.${layer}.value`;
    cache.push({
      pastKey: entry.pastKey,
      pastValue: entry.pastValue,
      ...(outputs.has(presentKey) && outputs.has(presentValue) ? { presentKey, presentValue } : {}),
    });
  }
  const kvHeads = staticDim(cacheShape?.[1]);
  const headDim = staticDim(cacheShape?.[3]);
  return {
    hasPositionIds: names.has("position_ids"),
    cache,
    cacheType,
    logitsType: logits.dataType,
    ...(kvHeads !== undefined ? { kvHeads } : {}),
    ...(headDim !== undefined ? { headDim } : {}),
  };
}

/** An empty cache tensor [batch, kvHeads, 0, headDim] of the export's cache type. */
export function emptyCacheTensor(
  dataType: DataType,
  batch: number,
  kvHeads: number,
  headDim: number,
): RuntimeTensor {
  const data = dataType === "float16" ? new Uint16Array(0) : new Float32Array(0);
  return { dataType, dims: [batch, kvHeads, 0, headDim], data };
}
