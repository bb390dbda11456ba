/** The contract of a contrib-operator rewrite. */
import type { AttributeInput } from "../../graph/attributes.ts";
import type { DataType, GraphNode, TensorConstant } from "../../graph/types.ts";
import type { AttributeReader, TensorInfo } from "../types.ts";

/** What a rewrite may use: fresh names, constants, static information, and the node it replaces. */
export interface RewriteContext {
  readonly node: GraphNode;
  readonly attr: AttributeReader;
  /** Version of the default ONNX domain. */
  readonly opset: number;
  info(name: string): TensorInfo | undefined;
  /** Emit a standard node with fresh outputs (or the given output names); returns the output names. */
  emit(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttributeInput | undefined>,
    outputs?: number | string[],
  ): string[];
  /** Emit a single-output standard node; `output` names it (default: fresh). */
  op(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttributeInput | undefined>,
    output?: string,
  ): string;
  constant(values: readonly number[], dataType: DataType, dims?: readonly number[]): string;
  int64s(values: readonly number[]): string;
  scalarLike(value: number, like: string): string;
  dataTypeOf(name: string): DataType;
  /** The rank of `name`, when known. */
  rankOf(name: string): number | undefined;
  /** Small integer constant contents of `name`, when known. */
  constInts(name: string): number[] | undefined;
  /** The initializer called `name` (with its data), if `name` is one. */
  initializer(name: string): TensorConstant | undefined;
  /** Add an initializer under a fresh name derived from `base`; returns the name. */
  addInitializer(base: string, tensor: Omit<TensorConstant, "name">): string;
}

/** A rewrite of one contrib operator into standard operators. */
export interface ContribRewrite {
  opType: string;
  /** Domains the operator is registered under (ONNX Runtime registers some contrib ops in the default domain). */
  domains: readonly string[];
  /**
   * Emit the replacement, whose nodes must write every non-empty original output name; return false
   * (emitting nothing) to leave the node as it is.
   */
  rewrite(ctx: RewriteContext): boolean;
}
