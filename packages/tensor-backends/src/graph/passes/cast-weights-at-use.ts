/**
 * Keep narrow weights narrow in memory. A graph that widens a float16 / bfloat16 initializer with one
 * `Cast` (or an int8 one with one `DequantizeLinear`) loses that twice over in ONNX Runtime: the cast
 * of a constant is folded into an fp32 copy when the session is made, and a cast left unfolded runs
 * first of all (it depends on nothing), so every widened matrix is alive at once; in a gradient graph
 * the widened matrix would also live from the forward product to the backward one. This pass gives
 * each reader of such a widening its own, made from the initializer through a `Reshape` whose shape
 * depends on the reader's other operand: it cannot be folded, runs when that operand is ready, and
 * its fp32 matrix dies with the product. A `Gather` from a widened table (token embeddings) gathers
 * the narrow rows and widens them; a product with a matrix too large to widen whole (a [vocab,
 * hidden] output matrix) runs by blocks of the matrix's rows.
 */
import { outerScopeReads, subgraphsOf } from "../subgraphs.ts";
import type { Attribute, Graph, GraphNode, TensorConstant } from "../types.ts";

const HALF_TYPES = new Set(["float16", "bfloat16"]);
const QUANTIZED_TYPES = new Set(["int8", "uint8", "int16", "uint16"]);

/** Options of {@link castWeightsAtUse}. */
export interface CastWeightsAtUseOptions {
  /**
   * A matrix over this many bytes once widened is widened and multiplied by blocks of its rows (a
   * [vocab, hidden] output matrix is hundreds of MB in fp32); default 64 MiB.
   */
  chunkBytes?: number;
}

/** Default of {@link CastWeightsAtUseOptions.chunkBytes}. */
export const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;

/** A node widening a narrow initializer: `Cast(weight)` or `DequantizeLinear(weight, scale[, zero point])`. */
interface Widening {
  node: GraphNode;
  weight: TensorConstant;
  /** DequantizeLinear's scale and zero point, initializers too. */
  rest: TensorConstant[];
}

/** How a widening's parameters follow the weight's rows: per row block, per row, or not at all. */
type RowFollowing = { kind: "none" } | { kind: "rows"; per: number };

/** The names a graph defines, so new ones can be made unique. */
function definedNames(graph: Graph): Set<string> {
  const names = new Set<string>([
    ...graph.inputs.map((info) => info.name),
    ...graph.initializers.map((tensor) => tensor.name),
  ]);
  for (const node of graph.nodes) for (const output of node.outputs) names.add(output);
  return names;
}

function intAttribute(node: GraphNode, name: string, fallback: number): number {
  const attribute = node.attributes[name];
  return attribute?.type === "int" ? attribute.value : fallback;
}

/** The widenings of `graph`, by output name. */
function wideningsOf(graph: Graph): Map<string, Widening> {
  const initializers = new Map(graph.initializers.map((tensor) => [tensor.name, tensor]));
  const widenings = new Map<string, Widening>();
  for (const node of graph.nodes) {
    const weight = initializers.get(node.inputs[0] ?? "");
    if (weight === undefined) continue;
    if (node.opType === "Cast" && HALF_TYPES.has(weight.dataType)) {
      widenings.set(node.outputs[0]!, { node, weight, rest: [] });
    }
    if (node.opType === "DequantizeLinear" && node.domain === "" && QUANTIZED_TYPES.has(weight.dataType)) {
      const rest = node.inputs
        .slice(1)
        .filter((input) => input !== "")
        .map((input) => initializers.get(input));
      if (rest.every((tensor) => tensor !== undefined)) {
        widenings.set(node.outputs[0]!, { node, weight, rest: rest as TensorConstant[] });
      }
    }
  }
  return widenings;
}

/**
 * How the parameters of a 2-D weight's widening follow its rows: a Cast has none; a
 * DequantizeLinear's per-tensor scale none; blocks along a row (axis 1) or one scale per row
 * (axis 0, no blocks) one parameter row per weight row; blocks down a column (axis 0) one per
 * `block_size` rows. Undefined when rows cannot be taken apart (per-column scales).
 */
function rowFollowing(widening: Widening): RowFollowing | undefined {
  if (widening.rest.length === 0) return { kind: "none" };
  if (widening.rest.every((tensor) => tensor.dims.length === 0 || tensor.dims.every((dim) => dim === 1))) {
    return { kind: "none" };
  }
  const rank = widening.weight.dims.length;
  const axis = (intAttribute(widening.node, "axis", 1) + rank) % rank;
  const blockSize = intAttribute(widening.node, "block_size", 0);
  if (rank !== 2) return undefined;
  if (blockSize > 0) return axis === 1 ? { kind: "rows", per: 1 } : { kind: "rows", per: blockSize };
  return axis === 0 ? { kind: "rows", per: 1 } : undefined;
}

/** Rows [first, last) of `tensor` (a view of its data, or a range of its external file). */
function rowRange(tensor: TensorConstant, first: number, last: number, name: string): TensorConstant {
  const [rows, ...rest] = tensor.dims as [number, ...number[]];
  const block: TensorConstant = { name, dataType: tensor.dataType, dims: [last - first, ...rest] };
  if (tensor.external !== undefined) {
    const rowBytes = tensor.external.length / rows;
    block.external = {
      ...tensor.external,
      offset: tensor.external.offset + first * rowBytes,
      length: (last - first) * rowBytes,
    };
  } else if (tensor.data !== undefined && !Array.isArray(tensor.data)) {
    const perRow = tensor.data.length / rows;
    block.data = (tensor.data as Uint16Array).subarray(first * perRow, last * perRow);
  }
  return block;
}

/** A widening's weight and parameters cut into blocks of whole rows, each at most `chunkBytes` widened. */
interface RowBlock {
  first: number;
  weight: TensorConstant;
  rest: TensorConstant[];
}

function rowBlocks(
  widening: Widening,
  chunkBytes: number,
  fresh: (base: string) => string,
): RowBlock[] | undefined {
  const { weight } = widening;
  if (weight.dims.length !== 2) return undefined;
  const [rows, cols] = weight.dims as [number, number];
  const count = Math.ceil((rows * cols * 4) / chunkBytes);
  const following = rowFollowing(widening);
  if (count <= 1 || rows < 2 || following === undefined) return undefined;
  const per = following.kind === "rows" ? following.per : 1;
  const perBlock = Math.ceil(rows / count / per) * per;
  const blocks: RowBlock[] = [];
  for (let first = 0; first < rows; first += perBlock) {
    const last = Math.min(rows, first + perBlock);
    const label = `[${first}:${last}]`;
    const rest = widening.rest.map((tensor) =>
      following.kind === "none"
        ? tensor
        : rowRange(tensor, first / per, Math.ceil(last / per), fresh(`${tensor.name}${label}`)),
    );
    blocks.push({ first, weight: rowRange(weight, first, last, fresh(`${weight.name}${label}`)), rest });
  }
  return blocks;
}

/**
 * A copy of `graph` in which every `Cast` of a float16 or bfloat16 initializer, and every
 * `DequantizeLinear` of an integer one with initializer parameters, is made again at each node that
 * reads it (see the file's comment). Readers whose other inputs are all constant, graph outputs and
 * subgraph readers keep the original. Values are unchanged: a widening after a reshape to the same
 * shape is the same widening, a row gathered then widened is the row of the widened table, and a
 * product by blocks differs only in the order of its fp32 sums (blocks of the contraction axis).
 */
export function castWeightsAtUse(graph: Graph, options: CastWeightsAtUseOptions = {}): Graph {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const constants = new Set(graph.initializers.map((tensor) => tensor.name));
  for (const node of graph.nodes) if (node.opType === "Constant") constants.add(node.outputs[0]!);
  const widenings = wideningsOf(graph);
  if (widenings.size === 0) return graph;
  const widenedWeights = new Set(
    [...widenings.values()].flatMap(({ weight, rest }) => [
      weight.name,
      ...rest.map((tensor) => tensor.name),
    ]),
  );

  const names = definedNames(graph);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; names.has(name); i++) name = `${base}:${i}`;
    names.add(name);
    return name;
  };
  const added: TensorConstant[] = [];
  const int64s = (base: string, values: readonly number[]): string => {
    const name = fresh(base);
    added.push({
      name,
      dataType: "int64",
      dims: [values.length],
      data: BigInt64Array.from(values, (value) => BigInt(value)),
    });
    return name;
  };
  let counter = 0;
  const node = (
    opType: string,
    inputs: string[],
    output: string,
    attributes: Record<string, Attribute> = {},
  ): GraphNode => ({
    name: `castWeightsAtUse/${opType}:${counter++}`,
    opType,
    domain: "",
    inputs,
    outputs: [output],
    attributes,
  });

  const nodes: GraphNode[] = [];
  const zero = int64s("castWeightsAtUse/zero", [0]);
  const lastAxis = int64s("castWeightsAtUse/lastAxis", [-1]);
  const zeroOf = new Map<string, string>();
  /** `weight` widened as `widening` widens (with `rest` for its parameters) once `anchor` exists. */
  const widenAt = (
    weight: TensorConstant,
    rest: TensorConstant[],
    widening: Widening,
    anchor: string,
  ): string => {
    // shape = dims + 0·(the anchor's first dimension): the weight's own shape, known only once the
    // anchor exists. The zero is made once per anchor.
    let anchoredZero = zeroOf.get(anchor);
    if (anchoredZero === undefined) {
      const first = fresh(`${anchor}:dim0`);
      anchoredZero = fresh(`${anchor}:dim0x0`);
      nodes.push(
        node("Shape", [anchor], first, { start: { type: "int", value: 0 }, end: { type: "int", value: 1 } }),
        node("Mul", [first, zero], anchoredZero),
      );
      zeroOf.set(anchor, anchoredZero);
    }
    const shape = fresh(`${weight.name}:shape`);
    const reshaped = fresh(`${weight.name}:at`);
    const wide = fresh(`${weight.name}:wide`);
    nodes.push(
      node("Add", [int64s(`${weight.name}:dims`, weight.dims), anchoredZero], shape),
      node("Reshape", [weight.name, shape], reshaped),
      node(
        widening.node.opType,
        [reshaped, ...rest.map((tensor) => tensor.name)],
        wide,
        widening.node.attributes,
      ),
    );
    return wide;
  };

  /** Gather(widened table, ids) as Gather(narrow table, ids) widened, when the widening allows it. */
  const gatherFirst = (reader: GraphNode, widening: Widening): GraphNode | undefined => {
    const following = rowFollowing(widening);
    if (intAttribute(reader, "axis", 0) !== 0 || following === undefined) return undefined;
    if (following.kind === "rows" && following.per !== 1) return undefined;
    const gathered = (tensor: TensorConstant) => {
      const rows = fresh(`${tensor.name}:rows`);
      nodes.push(node("Gather", [tensor.name, reader.inputs[1]!], rows, reader.attributes));
      return rows;
    };
    const rest = widening.rest.map((tensor) => (following.kind === "none" ? tensor.name : gathered(tensor)));
    // The gathered rows gain the ids' axes in front: the widening's axis is counted from the end.
    const attributes =
      widening.node.opType === "DequantizeLinear" && following.kind === "rows"
        ? { ...widening.node.attributes, axis: { type: "int" as const, value: -1 } }
        : widening.node.attributes;
    return node(widening.node.opType, [gathered(widening.weight), ...rest], reader.outputs[0]!, attributes);
  };

  const stillRead = new Set<string>(graph.outputs.map((info) => info.name));
  for (const reader of graph.nodes) {
    for (const subgraph of subgraphsOf(reader)) {
      for (const name of outerScopeReads(subgraph)) stillRead.add(name);
    }
    const read = reader.inputs.filter((input) => widenings.has(input));
    if (read.length === 0) {
      nodes.push(reader);
      for (const input of reader.inputs) stillRead.add(input);
      continue;
    }
    const inputs = [...reader.inputs];
    let replacement: GraphNode | undefined;
    for (const widened of new Set(read)) {
      const widening = widenings.get(widened)!;
      if (reader.opType === "Gather" && inputs[0] === widened && inputs[1] !== widened) {
        // Rows first, then widen: a [vocab, hidden] table is never widened whole.
        replacement = gatherFirst(reader, widening);
        if (replacement !== undefined) continue;
      }
      const anchor = inputs.find((input) => input !== "" && !widenings.has(input) && !constants.has(input));
      if (anchor === undefined) {
        stillRead.add(widened);
        continue;
      }
      const timesTransposed =
        reader.opType === "Gemm" &&
        inputs.length === 2 &&
        inputs[1] === widened &&
        inputs[0] === anchor &&
        intAttribute(reader, "transA", 0) === 0 &&
        intAttribute(reader, "transB", 0) === 1;
      const times = reader.opType === "MatMul" && inputs[1] === widened && inputs[0] === anchor;
      const blocks = timesTransposed || times ? rowBlocks(widening, chunkBytes, fresh) : undefined;
      if (blocks !== undefined) {
        for (const block of blocks)
          added.push(block.weight, ...block.rest.filter((tensor) => !constants.has(tensor.name)));
      }
      if (blocks !== undefined && timesTransposed) {
        // x·Wᵀ by blocks of W's rows: the output's columns, concatenated.
        const parts = blocks.map((block) => {
          const part = fresh(`${reader.outputs[0]!}:${block.weight.name}`);
          const wide = widenAt(block.weight, block.rest, widening, anchor);
          nodes.push(node("Gemm", [anchor, wide], part, reader.attributes));
          return part;
        });
        replacement = node("Concat", parts, reader.outputs[0]!, { axis: { type: "int", value: 1 } });
        continue;
      }
      if (blocks !== undefined) {
        // x·W by blocks of W's rows, the contraction axis: the sum of x's matching columns times each block.
        const parts = blocks.map((block) => {
          const columns = fresh(`${anchor}:${block.weight.name}`);
          const starts = int64s(`${block.weight.name}:start`, [block.first]);
          const ends = int64s(`${block.weight.name}:end`, [block.first + block.weight.dims[0]!]);
          nodes.push(node("Slice", [anchor, starts, ends, lastAxis], columns));
          const part = fresh(`${reader.outputs[0]!}:${block.weight.name}`);
          nodes.push(node("MatMul", [columns, widenAt(block.weight, block.rest, widening, columns)], part));
          return part;
        });
        replacement = node("Sum", parts, reader.outputs[0]!);
        continue;
      }
      const wide = widenAt(widening.weight, widening.rest, widening, anchor);
      for (let i = 0; i < inputs.length; i++) if (inputs[i] === widened) inputs[i] = wide;
    }
    replacement ??= { ...reader, inputs };
    for (const input of replacement.inputs) stillRead.add(input);
    nodes.push(replacement);
  }
  // Widenings nothing reads any more go; the pass keeps node order, so the graph stays sorted.
  const kept = nodes.filter((candidate) => {
    const output = candidate.outputs[0]!;
    return !(widenings.get(output)?.node === candidate && !stillRead.has(output));
  });
  // A narrow matrix read only by blocks of itself goes too.
  const read = new Set([...stillRead, ...kept.flatMap((candidate) => candidate.inputs)]);
  const initializers = [...graph.initializers, ...added].filter(
    (tensor) => read.has(tensor.name) || !widenedWeights.has(tensor.name),
  );
  return { ...graph, nodes: kept, initializers };
}
