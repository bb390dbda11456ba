/**
 * The contracts of the autodiff: what a gradient rule is, what it may ask of the engine while it
 * emits backward nodes, and the options of {@link buildGradientGraph}.
 */
import type { AttributeInput } from "../graph/attributes.ts";
import type { DataType, Dim, GraphNode } from "../graph/types.ts";

/** A stretch of the forward graph recomputed in the backward pass: from `input` to `output`. */
export interface RecomputeSegment {
  /** The tensor entering the segment, kept for the backward pass (the checkpoint). */
  input: string;
  /** The tensor leaving it; its gradient starts the segment's backward pass. */
  output: string;
}

/** What is known statically about a value: its element type and, when known, its (possibly symbolic) shape. */
export interface TensorInfo {
  dataType: DataType;
  /** Absent when the rank is unknown; a `null` dim is an unknown size, a string a symbolic one. */
  shape?: Dim[];
}

/** Options of `buildGradientGraph`. */
export interface GradientGraphOptions {
  /** Tensors whose vector-Jacobian products are wanted; each gets a seed input `<name>_grad`. */
  of: readonly string[];
  /** Tensors (graph inputs or internal values) to differentiate with respect to; each gets an output `<name>_grad`. */
  wrt: readonly string[];
  /**
   * Number of seeds K: every seed and every gradient carries an extra leading axis of size K, and the
   * graph computes K vector-Jacobian products against one forward pass. `"dynamic"`: the same, with K
   * read from the seed input at run time (its leading dim is named `seeds`), so one graph serves every
   * K. Absent: one seed, no extra axis.
   */
  seeds?: number | "dynamic";
  /**
   * Activation checkpointing (recompute.ts): the backward pass of each segment recomputes the
   * segment's forward values from its input instead of reading the forward pass's, so a run holds
   * one segment's activations at a time for one more forward pass of compute. Same gradients.
   */
  recompute?: readonly RecomputeSegment[];
}

/** The forward values a rule reads (values or shapes), by position. The engine refuses reads outside them. */
export interface RuleNeeds {
  inputs: readonly number[] | "all";
  outputs: readonly number[] | "all";
}

/**
 * A reverse-mode differentiation rule for one operator: a plain object. `vjp` emits standard ONNX
 * nodes that compute the gradient of each input from the gradients of the outputs.
 */
export interface GradientRule {
  /** ONNX operator type, e.g. "MatMul". */
  opType: string;
  /** Operator domain: "" for standard ONNX. */
  domain: string;
  /** First opset version of the operator this rule handles (default: any). */
  sinceVersion?: number;
  /** Input positions that carry a gradient (default: all). Others (indices, shapes, masks) are constants. */
  differentiableInputs?: readonly number[];
  /** Forward values the rule reads. */
  needs: RuleNeeds;
  /** Emit backward nodes; return one gradient name per input position (`undefined`: none / zero). */
  vjp(ctx: VjpContext): (string | undefined)[];
}

/** Reads a node's attributes with defaults. */
export interface AttributeReader {
  int(name: string, fallback: number): number;
  float(name: string, fallback: number): number;
  string(name: string, fallback: string): string;
  ints(name: string): number[] | undefined;
  has(name: string): boolean;
}

/**
 * A gradient known to be zero everywhere except a block: `Pad(source, pads)` with zeros, where only
 * `axes` (axes of the gradient tensor, seed axis included, non-negative) are padded. Gathers and
 * slices produce these (the gradient of a logit at one position); rules downstream may work on the
 * small `source` instead, e.g. MatMul multiplies only the rows that are not zero.
 */
export interface ZeroPadded {
  source: string;
  /** The Pad node's `pads` input (entries of axes not in `axes` are 0). */
  pads: string;
  axes: readonly number[];
}

/**
 * What a rule sees: the forward node, gradients of its outputs, and an emitter for new nodes.
 * Gradient tensors carry `k` extra leading axes (1 with `seeds`, else 0); forward values do not, so
 * forward values broadcast against the seed axis, and any axis a rule applies to a gradient must be shifted.
 */
export interface VjpContext {
  readonly node: GraphNode;
  /** Version of the default ONNX domain the model imports. */
  readonly opset: number;
  /** Leading seed axes on every gradient tensor: 1 with `seeds: K`, else 0. */
  readonly k: 0 | 1;
  /**
   * K when vectorised, as a 1-element int64 tensor computed at run time from the seed input's shape
   * (so graphs with `seeds: "dynamic"` work for any K); undefined without seeds.
   */
  readonly seedCount: string | undefined;
  readonly attr: AttributeReader;
  /** Name of forward input `index` (must be in `needs.inputs`); "" when the optional input is absent. */
  input(index: number): string;
  /** Name of forward output `index` (must be in `needs.outputs`). */
  output(index: number): string;
  /** Whether optional input `index` is present. */
  hasInput(index: number): boolean;
  /** Gradient of output `index`, or undefined when no gradient flows into it. */
  gradOutput(index: number): string | undefined;
  /** Whether the engine wants the gradient of input `index`. */
  wantsGrad(index: number): boolean;
  /** Static information about any value, when known. */
  info(name: string): TensorInfo | undefined;
  /** Constant integer values of a value (initializer or Constant node), when known. */
  constInts(name: string): number[] | undefined;
  /** Emit a node with `outputs` fresh output names; returns them. */
  emit(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttributeInput | undefined>,
    outputs?: number,
  ): string[];
  /** Emit a single-output node; returns its output name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttributeInput | undefined>,
  ): string;
  /** A constant tensor of the given element type (an initializer); returns its name. */
  constant(values: readonly number[], dataType: DataType, dims?: readonly number[]): string;
  /** A scalar constant with the element type of value `like`. */
  scalarLike(value: number, like: string): string;
  /** A 1-D int64 constant. */
  int64s(values: readonly number[]): string;
  /** The element type of `name` (throws when unknown). */
  dataTypeOf(name: string): DataType;
  /** The rank of forward value `name`, or undefined when unknown. */
  rankOf(name: string): number | undefined;
  /** Emit `Pad(source, pads)` with zeros, padding only `axes` (of the gradient), and remember it as {@link ZeroPadded}. */
  padWithZeros(source: string, pads: string, axes: readonly number[]): string;
  /** How gradient `name` was zero-padded by {@link VjpContext.padWithZeros}, when it was. */
  zeroPadded(name: string): ZeroPadded | undefined;
}
