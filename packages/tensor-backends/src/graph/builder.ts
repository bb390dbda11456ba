/**
 * A small imperative builder for ONNX graphs: add inputs, initializers, constants and nodes, get back
 * the generated value names, and `build()` a plain {@link OnnxModel}.
 *
 * ```ts
 * const g = createGraphBuilder("mlp");
 * const x = g.input("x", "float32", ["batch", 4]);
 * const w = g.initializer(new Float32Array(12), [4, 3], { name: "w" });
 * const [y] = g.node("MatMul", [x, w]);
 * g.output(g.node("Relu", [y])[0]!);
 * const model = g.build();
 * ```
 */
import { TensorBackendError } from "../errors.ts";
import { type AttributeInput, toAttributes } from "./attributes.ts";
import { inferGraphTypes } from "./shape-inference.ts";
import { makeTensor, type TensorInput } from "./tensor.ts";
import type {
  DataType,
  Dim,
  Graph,
  GraphNode,
  OnnxModel,
  OpsetImport,
  TensorConstant,
  ValueInfo,
  ValueType,
} from "./types.ts";

/** Opset versions used by `build()` for domains not given explicitly. */
export const DEFAULT_OPSETS: Readonly<Record<string, number>> = { "": 21, "com.microsoft": 1 };

/** IR version written by `build()`: 10 is the first to allow opset 21 and is read by ONNX Runtime ≥ 1.17. */
export const DEFAULT_IR_VERSION = 10;

/** Options of {@link GraphBuilder.node}. */
export interface NodeOptions {
  /** Operator domain; "" (default) for standard ONNX. */
  domain?: string;
  /** How many outputs to generate names for (default 1), or their exact names. */
  outputs?: number | string[];
  /** Node name; generated from the op type when absent. */
  name?: string;
}

/** Options for initializers and constants. */
export interface TensorOptions {
  /** Value name; generated when absent. */
  name?: string;
  /** Element type; defaults to the array's natural type (plain numbers → float32). */
  dataType?: DataType;
}

/** The functions returned by {@link createGraphBuilder}. */
export interface GraphBuilder {
  /** Declare a graph input and return its name. */
  input(name: string, dataType: DataType, shape?: Dim[]): string;
  /** Declare a graph output; dtype and shape are inferred at build time when not given. */
  output(name: string, dataType?: DataType, shape?: Dim[]): string;
  /** Add an initializer (typed arrays are kept, not copied) and return its name. */
  initializer(data: TensorInput | TensorConstant, dims?: readonly number[], options?: TensorOptions): string;
  /** Add a `Constant` node holding the tensor and return its output name. */
  constant(data: TensorInput | TensorConstant, dims?: readonly number[], options?: TensorOptions): string;
  /** Add a node; returns its output names. `""` in `inputs` marks an omitted optional input. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttributeInput | undefined>,
    options?: NodeOptions,
  ): string[];
  /** Record a known type for an intermediate value (written to `valueInfo`). */
  valueInfo(name: string, dataType: DataType, shape?: Dim[]): void;
  /** A fresh name starting with `base`, unique across this builder and its subgraph builders. */
  uniqueName(base: string): string;
  /** A builder for a subgraph (If/Loop/Scan body) that shares this builder's name space. */
  subgraph(name: string): GraphBuilder;
  /** The graph built so far (outputs without a dtype are inferred). */
  graph(): Graph;
  /** The model: the graph plus opset imports (defaults: 21 for "", 1 for "com.microsoft"). */
  build(opsets?: Record<string, number>): OnnxModel;
}

interface NameSpace {
  used: Set<string>;
  counters: Map<string, number>;
}

function sanitize(base: string): string {
  return base.replace(/[^A-Za-z0-9_.:/-]/g, "_") || "v";
}

function freshName(space: NameSpace, base: string): string {
  const stem = sanitize(base);
  if (!space.used.has(stem)) {
    space.used.add(stem);
    return stem;
  }
  let counter = space.counters.get(stem) ?? 1;
  while (space.used.has(`${stem}_${counter}`)) counter++;
  space.counters.set(stem, counter + 1);
  const name = `${stem}_${counter}`;
  space.used.add(name);
  return name;
}

function claim(space: NameSpace, name: string, what: string): string {
  if (space.used.has(name)) {
    throw new TensorBackendError("INVALID_ARGUMENT", `${what} name '${name}' is already used in this graph`, {
      hint: "Pick another name, or omit it to get a generated unique one.",
    });
  }
  space.used.add(name);
  return name;
}

function toTensor(
  data: TensorInput | TensorConstant,
  dims: readonly number[] | undefined,
  dataType?: DataType,
) {
  if (!ArrayBuffer.isView(data) && !Array.isArray(data) && "dataType" in data) return data;
  return makeTensor(data as TensorInput, dims, dataType);
}

/** Opset imports for a graph: explicit versions, then defaults for every other domain its nodes use. */
export function opsetImportsFor(graph: Graph, explicit: Record<string, number> = {}): OpsetImport[] {
  const versions = new Map<string, number>(Object.entries(explicit));
  const visit = (g: Graph): void => {
    for (const node of g.nodes) {
      const domain = node.domain === "ai.onnx" ? "" : node.domain;
      if (!versions.has(domain)) {
        const version = DEFAULT_OPSETS[domain];
        if (version === undefined) {
          throw new TensorBackendError("INVALID_ARGUMENT", `no opset version given for domain '${domain}'`, {
            hint: `Pass it to build(), e.g. build({ "${domain}": 1 }).`,
          });
        }
        versions.set(domain, version);
      }
      for (const attribute of Object.values(node.attributes)) {
        if (attribute.type === "graph") visit(attribute.value);
        if (attribute.type === "graphs") attribute.value.forEach(visit);
      }
    }
  };
  if (!versions.has("")) versions.set("", DEFAULT_OPSETS[""]!);
  visit(graph);
  return [...versions].map(([domain, version]) => ({ domain, version }));
}

function makeBuilder(graphName: string, space: NameSpace, isSubgraph: boolean): GraphBuilder {
  const inputs: ValueInfo[] = [];
  const outputs: { name: string; dataType?: DataType; shape?: Dim[] }[] = [];
  const initializers: TensorConstant[] = [];
  const nodes: GraphNode[] = [];
  const valueInfos: ValueInfo[] = [];

  const builder: GraphBuilder = {
    input(name, dataType, shape) {
      inputs.push({ name: claim(space, name, "input"), dataType, ...(shape ? { shape: [...shape] } : {}) });
      return name;
    },
    output(name, dataType, shape) {
      outputs.push({ name, ...(dataType ? { dataType } : {}), ...(shape ? { shape: [...shape] } : {}) });
      return name;
    },
    initializer(data, dims, options = {}) {
      const tensor = toTensor(data, dims, options.dataType);
      const name =
        options.name !== undefined ? claim(space, options.name, "initializer") : freshName(space, "init");
      initializers.push({ ...tensor, name });
      return name;
    },
    constant(data, dims, options = {}) {
      const tensor = toTensor(data, dims, options.dataType);
      const outputs = options.name !== undefined ? [options.name] : 1;
      return builder.node("Constant", [], { value: { ...tensor, name: "" } }, { outputs })[0]!;
    },
    node(opType, nodeInputs, attributes, options = {}) {
      const nodeName =
        options.name !== undefined ? claim(space, options.name, "node") : freshName(space, opType);
      const wanted = options.outputs ?? 1;
      const nodeOutputs =
        typeof wanted === "number"
          ? Array.from({ length: wanted }, (_, index) => freshName(space, `${nodeName}_out${index}`))
          : wanted.map((name) => (name === "" ? "" : claim(space, name, "output")));
      nodes.push({
        name: nodeName,
        opType,
        domain: options.domain ?? "",
        inputs: [...nodeInputs],
        outputs: nodeOutputs,
        attributes: toAttributes(attributes),
      });
      return nodeOutputs;
    },
    valueInfo(name, dataType, shape) {
      valueInfos.push({ name, dataType, ...(shape ? { shape: [...shape] } : {}) });
    },
    uniqueName(base) {
      return freshName(space, base);
    },
    subgraph(name) {
      return makeBuilder(name, space, true);
    },
    graph() {
      const graph: Graph = {
        name: graphName,
        nodes: [...nodes],
        initializers: [...initializers],
        inputs: [...inputs],
        outputs: [],
        valueInfo: [...valueInfos],
      };
      const needsInference = outputs.some((output) => output.dataType === undefined);
      const inferred = needsInference ? inferGraphTypes(graph) : new Map<string, ValueType>();
      graph.outputs = outputs.map((output): ValueInfo => {
        if (output.dataType !== undefined) {
          return {
            name: output.name,
            dataType: output.dataType,
            ...(output.shape ? { shape: output.shape } : {}),
          };
        }
        const known = inferred.get(output.name);
        if (known !== undefined) return { name: output.name, ...known };
        // Subgraphs read outer-scope values this builder cannot type; ONNX allows untyped outputs there.
        if (isSubgraph) return { name: output.name, dataType: "float32", untyped: true };
        throw new TensorBackendError(
          "INVALID_ARGUMENT",
          `cannot infer the type of graph output '${output.name}'`,
          {
            hint: "Pass its dataType (and shape) to output(), or check the name is produced by a node.",
          },
        );
      });
      return graph;
    },
    build(opsets = {}) {
      const graph = builder.graph();
      return {
        irVersion: DEFAULT_IR_VERSION,
        opsetImports: opsetImportsFor(graph, opsets),
        producerName: "tokenscope",
        producerVersion: "0",
        graph,
        functions: [],
        metadata: {},
      };
    },
  };
  return builder;
}

/** Start building a graph named `name` (default "graph"). */
export function createGraphBuilder(name = "graph"): GraphBuilder {
  return makeBuilder(name, { used: new Set(), counters: new Map() }, false);
}
