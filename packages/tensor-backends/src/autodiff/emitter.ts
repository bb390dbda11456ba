/**
 * Collects the backward nodes and constants the rules emit, with fresh names that cannot collide
 * with any value of the forward graph. Identical constants are emitted once.
 */
import { type AttributeInput, toAttributes } from "../graph/attributes.ts";
import { makeTensor } from "../graph/tensor.ts";
import type { DataType, GraphNode, TensorConstant } from "../graph/types.ts";

/** The emitter's state and operations. */
export interface Emitter {
  readonly nodes: GraphNode[];
  readonly initializers: TensorConstant[];
  /** A fresh value or node name starting with `base`. */
  fresh(base: string): string;
  /** Emit a node; `scope` prefixes the generated names (usually the forward node's name). */
  emit(
    scope: string,
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttributeInput | undefined>,
    outputs?: number,
  ): string[];
  /** A constant (initializer) with the given element type and dims; returns its name. */
  constant(values: readonly number[], dataType: DataType, dims: readonly number[]): string;
  /** Record a name as taken (e.g. a seed input the engine adds). */
  reserve(name: string): void;
}

const PREFIX = "grad";

/** A new emitter whose names avoid every name in `taken`. */
export function createEmitter(taken: Iterable<string>): Emitter {
  const used = new Set(taken);
  const counters = new Map<string, number>();
  const constants = new Map<string, string>();
  const nodes: GraphNode[] = [];
  const initializers: TensorConstant[] = [];

  const fresh = (base: string): string => {
    const stem = base.replace(/[^A-Za-z0-9_.:/-]/g, "_");
    let counter = counters.get(stem) ?? 0;
    let name = `${stem}_${counter}`;
    while (used.has(name)) name = `${stem}_${++counter}`;
    counters.set(stem, counter + 1);
    used.add(name);
    return name;
  };

  return {
    nodes,
    initializers,
    fresh,
    reserve(name) {
      used.add(name);
    },
    emit(scope, opType, inputs, attributes = {}, outputs = 1) {
      const stem = `${PREFIX}/${scope}/${opType}`;
      const nodeName = fresh(stem);
      const outputNames = Array.from({ length: outputs }, (_, index) =>
        outputs === 1 ? nodeName : fresh(`${nodeName}:${index}`),
      );
      nodes.push({
        name: nodeName,
        opType,
        domain: "",
        inputs: [...inputs],
        outputs: outputNames,
        attributes: toAttributes(attributes),
      });
      return outputNames;
    },
    constant(values, dataType, dims) {
      const key = `${dataType}|${dims.join(",")}|${values.join(",")}`;
      const existing = constants.get(key);
      if (existing !== undefined) return existing;
      const name = fresh(`${PREFIX}/const`);
      const data =
        dataType === "int64" || dataType === "uint64" ? values.map((value) => BigInt(value)) : values;
      initializers.push(makeTensor(data as readonly number[], dims, dataType, name));
      constants.set(key, name);
      return name;
    },
  };
}
