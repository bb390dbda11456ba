/**
 * A safe default graph optimization level. ONNX Runtime's "extended" and "all" levels fuse patterns
 * into contrib operators that only have float32/float16 kernels (x·Sigmoid(x) becomes
 * com.microsoft.QuickGelu), so a float64 graph — what gradient checks run — fails to load at its
 * default level "all". "basic" (constant folding, redundant node removal) keeps every node's type.
 */
import { subgraphsOf } from "../graph/subgraphs.ts";
import type { Graph, OnnxModel } from "../graph/types.ts";
import type { GraphOptimizationLevel, SessionOptions } from "./types.ts";

/** ONNX's element type code of float64 (Cast's `to`). */
const DOUBLE = 11;

function graphUsesFloat64(graph: Graph): boolean {
  const values = [...graph.inputs, ...graph.outputs, ...graph.valueInfo, ...graph.initializers];
  if (values.some((value) => value.dataType === "float64")) return true;
  return graph.nodes.some((node) => {
    const to = node.attributes["to"];
    const value = node.attributes["value"];
    if (node.opType === "Cast" && to?.type === "int" && to.value === DOUBLE) return true;
    if (value?.type === "tensor" && value.value.dataType === "float64") return true;
    return subgraphsOf(node).some(graphUsesFloat64);
  });
}

/** Whether a model computes in float64 anywhere: a float64 input, output, constant or cast. */
export function usesFloat64(model: OnnxModel): boolean {
  return graphUsesFloat64(model.graph);
}

/** Whether the caller chose a level, in our options or ONNX Runtime's own. */
export function hasOptimizationLevel(options: SessionOptions): boolean {
  return (
    options.graphOptimizationLevel !== undefined ||
    options.ortOptions?.["graphOptimizationLevel"] !== undefined
  );
}

/**
 * The level to create a session with: the caller's when set; "basic" for a float64 model; otherwise
 * undefined (ONNX Runtime's default, "all"). Model bytes are not decoded to look: their sessions retry
 * with "basic" when a fused kernel is missing (see {@link isMissingFusedKernel}).
 */
export function defaultOptimizationLevel(
  model: Uint8Array | OnnxModel,
  options: SessionOptions,
): GraphOptimizationLevel | undefined {
  if (hasOptimizationLevel(options)) return options.graphOptimizationLevel;
  return !(model instanceof Uint8Array) && usesFloat64(model) ? "basic" : undefined;
}

/** Whether a session failed because an optimizer fusion produced a node with no kernel for its types. */
export function isMissingFusedKernel(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return /Failed to find kernel for .*node:'[^']*Fusion/s.test(message);
}
