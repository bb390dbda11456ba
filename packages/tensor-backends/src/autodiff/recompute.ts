/**
 * Activation checkpointing for a gradient graph: the backward nodes of a segment (a transformer
 * block, from the tensor entering it to the tensor leaving it) read a copy of the segment's forward
 * computation, recomputed from its input once the backward pass reaches the segment, instead of the
 * forward values themselves. The forward values then die inside the forward pass, so a run holds
 * each segment's input (the checkpoint) for the backward pass and one segment's activations at a
 * time, at the price of one more forward pass through the segments.
 */
import { TensorBackendError } from "../errors.ts";
import type { DataType, GraphNode } from "../graph/types.ts";
import type { Emitter } from "./emitter.ts";
import type { RecomputeSegment } from "./types.ts";

/** What the pass needs from the gradient graph being built. */
export interface RecomputeGraph {
  /** The forward nodes, in topological order. */
  forward: readonly GraphNode[];
  /** Receives the recomputed nodes; its `nodes` are the backward nodes, rewired in place. */
  emitter: Emitter;
  /** The gradient of a forward value, where the backward pass computed one. */
  gradientOf(name: string): string | undefined;
  /** Element type of a forward value. */
  dataTypeOf(name: string): DataType | undefined;
}

/**
 * Rewires the backward nodes so that every forward value they read from inside a segment comes
 * from a recomputed copy of the segment. The copy starts from `input + 0 · min(∂output)`: the same
 * values, but ONNX Runtime can neither run it before the backward pass reaches the segment (it
 * waits for the gradient) nor merge it with the forward nodes (its input differs). A segment whose
 * output has no gradient is left as it is. Segments must not overlap. The copies are appended to the
 * emitter's nodes: sort the graph's nodes afterwards. Nodes that do not depend on the segment's input
 * (weight transposes, masks and position tables shared by every block) are not copied.
 */
export function recomputeSegments(graph: RecomputeGraph, segments: readonly RecomputeSegment[]): void {
  const producer = new Map<string, GraphNode>();
  for (const node of graph.forward) for (const output of node.outputs) producer.set(output, node);
  const nodes = graph.emitter.nodes as GraphNode[];
  const backward = nodes.slice();
  const replacements = new Map<string, string>();

  for (const segment of segments) {
    const members = segmentNodes(graph.forward, producer, segment);
    const gradient = graph.gradientOf(segment.output);
    if (members.size === 0 || gradient === undefined) continue;
    const dataType = graph.dataTypeOf(segment.input);
    if (dataType === undefined) {
      throw new TensorBackendError(
        "INVALID_MODEL",
        `the element type of recompute input '${segment.input}' is unknown`,
        { hint: "Run shape inference on the model, or declare the tensor in value_info." },
      );
    }
    const scope = `recompute/${segment.output}`;
    const { emitter } = graph;
    // The gate is emitted with the first copy: a segment whose inner values no backward node reads
    // gets none.
    const gate = (): string => {
      const [least] = emitter.emit(scope, "ReduceMin", [gradient], { keepdims: 0 });
      const [zero] = emitter.emit(scope, "Mul", [least!, emitter.constant([0], dataType, [])]);
      const [gated] = emitter.emit(scope, "Add", [segment.input, zero!]);
      copies.set(segment.input, gated!);
      return gated!;
    };
    const copies = new Map<string, string>();
    const copyOf = (name: string): string => {
      const known = copies.get(name);
      if (known !== undefined) return known;
      if (name === segment.input) return gate();
      const node = producer.get(name);
      if (node === undefined || !members.has(node)) return name;
      const inputs = node.inputs.map((input) => (input === "" ? "" : copyOf(input)));
      const outputs = node.outputs.map((output) =>
        output === "" ? "" : emitter.fresh(`${scope}/${output}`),
      );
      emitter.nodes.push({ ...node, name: emitter.fresh(`${scope}/${node.name}`), inputs, outputs });
      node.outputs.forEach((output, slot) => {
        if (output !== "") copies.set(output, outputs[slot]!);
      });
      return copies.get(name)!;
    };
    for (const node of backward) {
      for (const input of node.inputs) {
        const from = producer.get(input);
        // The output is the next segment's checkpoint: kept, never recomputed.
        if (from !== undefined && members.has(from) && input !== segment.output && !replacements.has(input)) {
          replacements.set(input, copyOf(input));
        }
      }
    }
  }
  backward.forEach((node, index) => {
    const inputs = node.inputs.map((input) => replacements.get(input) ?? input);
    if (inputs.some((input, slot) => input !== node.inputs[slot])) nodes[index] = { ...node, inputs };
  });
}

/**
 * Forward nodes that depend on `segment.input` and that `segment.output` depends on, less those whose
 * values other forward nodes read too (rotary tables or masks derived from the input's shape, shared
 * by later blocks): those stay as computed, so a later block's backward never waits on this one's.
 */
function segmentNodes(
  forward: readonly GraphNode[],
  producer: ReadonlyMap<string, GraphNode>,
  segment: RecomputeSegment,
): Set<GraphNode> {
  const downstream = new Set<string>([segment.input]);
  const dependent = new Set<GraphNode>();
  for (const node of forward) {
    if (!node.inputs.some((input) => downstream.has(input))) continue;
    dependent.add(node);
    for (const output of node.outputs) if (output !== "") downstream.add(output);
  }
  const onPath = new Set<GraphNode>();
  const pending = [segment.output];
  const seen = new Set<string>();
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (seen.has(name) || name === segment.input) continue;
    seen.add(name);
    const node = producer.get(name);
    if (node === undefined || !dependent.has(node)) continue;
    onPath.add(node);
    pending.push(...node.inputs.filter((input) => input !== ""));
  }
  const readOutside = new Set<string>();
  for (const node of forward) {
    if (onPath.has(node)) continue;
    for (const input of node.inputs) if (input !== segment.output) readOutside.add(input);
  }
  return new Set([...onPath].filter((node) => !node.outputs.some((output) => readOutside.has(output))));
}
