/**
 * What a shape rule sees of a node: its input types, the known contents of small integer inputs
 * (constants, or symbolic shape vectors from `Shape`), and typed attribute getters.
 */
import type { Attribute, DataType, Dim, GraphNode, TensorConstant, ValueType } from "../types.ts";

/** Type of one value plus, for small integer tensors, their contents (flattened; may be symbolic). */
export interface InferredValue {
  type: ValueType;
  /** Contents of a rank-0/1 integer tensor, when known. */
  contents?: Dim[];
  /** The full constant, when the value is a constant (initializer or Constant node). */
  constant?: TensorConstant;
}

/** The view of one node given to a {@link ShapeRule}. */
export interface RuleContext {
  node: GraphNode;
  /** Opset version of the node's domain (0 when not imported). */
  opset: number;
  /** Inferred value of input `index`, undefined when unknown or omitted. */
  input(index: number): InferredValue | undefined;
  /** Shape of input `index`, undefined when unknown. */
  shape(index: number): Dim[] | undefined;
  /** Element type of input `index`, undefined when unknown. */
  dataType(index: number): DataType | undefined;
  /** Contents of a small integer input, undefined when not known. */
  contents(index: number): Dim[] | undefined;
  /** Contents as plain numbers, undefined unless every element is a known number. */
  numbers(index: number): number[] | undefined;
  /** Whether input `index` is given (not omitted with ""). */
  hasInput(index: number): boolean;
  /** An INT attribute (or `fallback`). */
  int(name: string, fallback: number): number;
  /** An INTS attribute, undefined when absent. */
  ints(name: string): number[] | undefined;
  /** A FLOAT attribute (or `fallback`). */
  float(name: string, fallback: number): number;
  /** A STRING attribute (or `fallback`). */
  string(name: string, fallback: string): string;
  /** Any attribute. */
  attribute(name: string): Attribute | undefined;
}

/** Result of a rule: one entry per node output (undefined = unknown). */
export type RuleResult = (InferredValue | undefined)[];

/** Infers the outputs of one operator from its inputs. Never throws for odd input: returns unknowns. */
export type ShapeRule = (context: RuleContext) => RuleResult;

/** A plain tensor value with a known shape. */
export function tensorValue(dataType: DataType, shape: Dim[] | undefined, contents?: Dim[]): InferredValue {
  const type: ValueType = shape === undefined ? { dataType } : { dataType, shape };
  return contents === undefined ? { type } : { type, contents };
}

/** A value's contents as plain numbers, undefined unless every element is a known number. */
export function numericContents(value: InferredValue | undefined): number[] | undefined {
  const contents = value?.contents;
  return contents?.every((element) => typeof element === "number") ? (contents as number[]) : undefined;
}

/** Make the {@link RuleContext} of `node` over the values inferred so far. */
export function makeRuleContext(
  node: GraphNode,
  opset: number,
  lookup: (name: string) => InferredValue | undefined,
): RuleContext {
  const input = (index: number) => {
    const name = node.inputs[index];
    return name === undefined || name === "" ? undefined : lookup(name);
  };
  const contents = (index: number) => input(index)?.contents;
  return {
    node,
    opset,
    input,
    shape: (index) => input(index)?.type.shape,
    dataType: (index) => input(index)?.type.dataType,
    contents,
    numbers: (index) => numericContents(input(index)),
    hasInput: (index) => (node.inputs[index] ?? "") !== "",
    int(name, fallback) {
      const attribute = node.attributes[name];
      return attribute?.type === "int" ? attribute.value : fallback;
    },
    ints(name) {
      const attribute = node.attributes[name];
      return attribute?.type === "ints" ? attribute.value : undefined;
    },
    float(name, fallback) {
      const attribute = node.attributes[name];
      return attribute?.type === "float" ? attribute.value : fallback;
    },
    string(name, fallback) {
      const attribute = node.attributes[name];
      return attribute?.type === "string" ? attribute.value : fallback;
    },
    attribute: (name) => node.attributes[name],
  };
}
