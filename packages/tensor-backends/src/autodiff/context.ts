/**
 * Builds the {@link VjpContext} a rule sees for one forward node: attribute reading, checked access to
 * forward values, gradients of outputs, and emission scoped to the node.
 */
import { TensorBackendError } from "../errors.ts";
import { type InferredValue, numericContents } from "../graph/shape-inference.ts";
import type { Attribute, GraphNode } from "../graph/types.ts";
import type { Emitter } from "./emitter.ts";
import type { AttributeReader, GradientRule, VjpContext, ZeroPadded } from "./types.ts";

/** What the engine knows when it asks a rule for the gradients of one node. */
export interface NodeGradientState {
  node: GraphNode;
  rule: GradientRule;
  emitter: Emitter;
  /** What shape inference found about the forward graph's values. */
  info: ReadonlyMap<string, InferredValue>;
  opset: number;
  /** 1-element int64 tensor holding K (see {@link VjpContext.seedCount}); undefined without seeds. */
  seedCount: string | undefined;
  gradOutputs: (string | undefined)[];
  wanted: boolean[];
  /** Zero-padded gradients recorded so far (shared by every node of one gradient graph). */
  padded: Map<string, ZeroPadded>;
}

function readAttribute(node: GraphNode, name: string, type: Attribute["type"]): unknown {
  const attribute = node.attributes[name];
  if (attribute === undefined) return undefined;
  if (attribute.type !== type) {
    throw new TensorBackendError(
      "INVALID_MODEL",
      `attribute '${name}' of node '${node.name}' (${node.opType}) is ${attribute.type}, expected ${type}`,
      { hint: "Check the exporter that wrote this node." },
    );
  }
  return attribute.value;
}

/** An {@link AttributeReader} over `node`'s attributes. */
export function attributeReader(node: GraphNode): AttributeReader {
  return {
    int: (name, fallback) => (readAttribute(node, name, "int") as number | undefined) ?? fallback,
    // Hand-built graphs sometimes store a whole-number float as an int; read either.
    float: (name, fallback) =>
      node.attributes[name]?.type === "int"
        ? (node.attributes[name].value as number)
        : ((readAttribute(node, name, "float") as number | undefined) ?? fallback),
    string: (name, fallback) => (readAttribute(node, name, "string") as string | undefined) ?? fallback,
    ints: (name) => readAttribute(node, name, "ints") as number[] | undefined,
    has: (name) => node.attributes[name] !== undefined,
  };
}

function declares(needs: readonly number[] | "all", index: number): boolean {
  return needs === "all" || needs.includes(index);
}

function undeclared(node: GraphNode, what: string): TensorBackendError {
  return new TensorBackendError(
    "INVALID_ARGUMENT",
    `the gradient rule for ${node.opType} read ${what} of node '${node.name}' without declaring it in needs`,
    { hint: "Add the position to the rule's `needs` (this is a bug in the rule)." },
  );
}

/** The context for one node. */
export function createVjpContext(state: NodeGradientState): VjpContext {
  const { node, rule, emitter, info } = state;
  const k = state.seedCount === undefined ? 0 : 1;
  const ctx: VjpContext = {
    node,
    opset: state.opset,
    k,
    seedCount: state.seedCount,
    attr: attributeReader(node),
    input(index) {
      if (!declares(rule.needs.inputs, index)) throw undeclared(node, `input ${index}`);
      return node.inputs[index] ?? "";
    },
    output(index) {
      if (!declares(rule.needs.outputs, index)) throw undeclared(node, `output ${index}`);
      const name = node.outputs[index] ?? "";
      if (name === "") {
        throw new TensorBackendError("INVALID_MODEL", `node '${node.name}' has no output ${index}`, {
          hint: "The rule needs that output; re-export the model with it.",
        });
      }
      return name;
    },
    hasInput: (index) => (node.inputs[index] ?? "") !== "",
    gradOutput: (index) => state.gradOutputs[index],
    wantsGrad: (index) => state.wanted[index] === true,
    info: (name) => info.get(name)?.type,
    constInts: (name) => numericContents(info.get(name)),
    emit: (opType, inputs, attributes, outputs) =>
      emitter.emit(node.name || node.opType, opType, inputs, attributes, outputs),
    op: (opType, inputs, attributes) =>
      emitter.emit(node.name || node.opType, opType, inputs, attributes, 1)[0]!,
    constant: (values, dataType, dims) => emitter.constant(values, dataType, dims ?? [values.length]),
    scalarLike: (value, like) => emitter.constant([value], ctx.dataTypeOf(like), []),
    int64s: (values) => emitter.constant(values, "int64", [values.length]),
    dataTypeOf(name) {
      const known = info.get(name)?.type.dataType;
      if (known === undefined) {
        throw new TensorBackendError(
          "INVALID_MODEL",
          `the element type of '${name}' (read by node '${node.name}') is unknown`,
          {
            hint: "Declare it in the graph's value_info, or run shape inference on the model first.",
          },
        );
      }
      return known;
    },
    rankOf: (name) => info.get(name)?.type.shape?.length,
    padWithZeros(source, pads, axes) {
      const output = ctx.op("Pad", [source, pads], { mode: "constant" });
      state.padded.set(output, { source, pads, axes: [...axes] });
      return output;
    },
    zeroPadded: (name) => state.padded.get(name),
  };
  return ctx;
}
