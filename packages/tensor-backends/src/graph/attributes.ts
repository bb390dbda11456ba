/**
 * Node attributes from plain JS values: an integer number becomes an INT, any other number a FLOAT,
 * `f(x)` forces FLOAT(S), strings, tensors and graphs map to their kinds, arrays to the list kinds.
 */
import { TensorBackendError } from "../errors.ts";
import type { Attribute, Graph, TensorConstant } from "./types.ts";

/** A value accepted where a node attribute is expected. */
export type AttributeInput =
  | Attribute
  | number
  | bigint
  | boolean
  | string
  | TensorConstant
  | Graph
  | readonly number[]
  | readonly string[]
  | readonly TensorConstant[]
  | readonly Graph[];

/** Force a FLOAT (or FLOATS for an array) attribute, e.g. `{ alpha: f(1) }`, which would otherwise be an INT. */
export function f(value: number): Attribute;
export function f(value: readonly number[]): Attribute;
export function f(value: number | readonly number[]): Attribute {
  return typeof value === "number" ? { type: "float", value } : { type: "floats", value: [...value] };
}

function isAttribute(value: object): value is Attribute {
  return "type" in value && "value" in value && !("nodes" in value) && !("dims" in value);
}

function isTensor(value: object): value is TensorConstant {
  return "dataType" in value && "dims" in value;
}

function isGraph(value: object): value is Graph {
  return "nodes" in value && "initializers" in value;
}

function listAttribute(name: string, values: readonly unknown[]): Attribute {
  if (values.length === 0 || values.every((value) => typeof value === "number")) {
    const numbers = values as readonly number[];
    return numbers.every(Number.isInteger)
      ? { type: "ints", value: [...numbers] }
      : { type: "floats", value: [...numbers] };
  }
  if (values.every((value) => typeof value === "string"))
    return { type: "strings", value: [...values] as string[] };
  if (values.every((value) => typeof value === "object" && value !== null && isTensor(value))) {
    return { type: "tensors", value: [...values] as TensorConstant[] };
  }
  if (values.every((value) => typeof value === "object" && value !== null && isGraph(value))) {
    return { type: "graphs", value: [...values] as Graph[] };
  }
  throw new TensorBackendError("INVALID_ARGUMENT", `attribute '${name}' mixes kinds of values`, {
    hint: "A list attribute holds only numbers, only strings, only tensors or only graphs.",
  });
}

/** Convert one plain value to an {@link Attribute}. */
export function toAttribute(name: string, value: AttributeInput): Attribute {
  switch (typeof value) {
    case "number":
      return Number.isInteger(value) ? { type: "int", value } : { type: "float", value };
    case "bigint":
      return { type: "int", value: Number(value) };
    case "boolean":
      return { type: "int", value: value ? 1 : 0 };
    case "string":
      return { type: "string", value };
  }
  if (Array.isArray(value)) return listAttribute(name, value);
  const object = value as object;
  if (isTensor(object)) return { type: "tensor", value: object };
  if (isGraph(object)) return { type: "graph", value: object };
  if (isAttribute(object)) return object;
  throw new TensorBackendError("INVALID_ARGUMENT", `attribute '${name}' has a value of unknown kind`, {
    hint: "Pass a number, string, tensor, graph, an array of one of those, or an Attribute object.",
  });
}

/** Convert a record of plain values, skipping `undefined` entries so callers can spread optional ones. */
export function toAttributes(
  values: Record<string, AttributeInput | undefined> = {},
): Record<string, Attribute> {
  const attributes: Record<string, Attribute> = {};
  for (const [name, value] of Object.entries(values)) {
    if (value !== undefined) attributes[name] = toAttribute(name, value);
  }
  return attributes;
}
