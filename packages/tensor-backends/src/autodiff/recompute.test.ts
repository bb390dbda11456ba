import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { GraphNode } from "../graph/types.ts";
import { buildGradientGraph, gradName } from "./build-gradient-graph.ts";
import { checkModelGradient } from "./testing/model-check.ts";
import { ortSessionFactory } from "./testing/ort-session.ts";
import { seededRandom, uniformValues } from "./testing/random.ts";
import { TINY, type TinyModel, tinyLlama } from "./testing/tiny-transformers.ts";

const sessions = ortSessionFactory(ort as never);
const config = { ...TINY, layers: 3 };

function float64(dims: number[], seed: number) {
  const count = dims.reduce((total, dim) => total * dim, 1);
  return {
    dataType: "float64" as const,
    dims,
    data: Float64Array.from(uniformValues(seededRandom(seed), count)),
  };
}

/** One segment per block: from the stream entering it to the stream leaving it. */
function blocks(tiny: TinyModel) {
  return tiny.residuals.map((output, layer) => ({
    input: layer === 0 ? tiny.input : tiny.residuals[layer - 1]!,
    output,
  }));
}

/** Forward values that `node`s read, by the forward node that produced them. */
function forwardReads(nodes: readonly GraphNode[], forward: readonly GraphNode[]) {
  const producer = new Map<string, GraphNode>();
  for (const node of forward) for (const output of node.outputs) producer.set(output, node);
  return nodes.flatMap((node) =>
    node.inputs.filter((input) => producer.has(input)).map((input) => ({ input, by: producer.get(input)! })),
  );
}

describe("recompute (activation checkpointing)", () => {
  it("gives the gradients of finite differences through every recomputed block", async () => {
    const tiny = tinyLlama(config);
    const result = await checkModelGradient(
      tiny.model,
      {
        of: [tiny.objective],
        wrt: [tiny.input],
        feeds: { [tiny.input]: float64([2, 5, TINY.hidden], 4) },
        recompute: blocks(tiny),
      },
      sessions,
    );
    expect(result.maxError).toBeLessThanOrEqual(1e-6);
  });

  it("gives the same gradients as the plain graph, with K seeds too", async () => {
    const tiny = tinyLlama(config);
    const feeds = { [tiny.input]: float64([2, 5, TINY.hidden], 8) };
    const seed = {
      dataType: "float64" as const,
      dims: [3, 2],
      data: Float64Array.from([1, -2, 0.5, 3, 2, 1]),
    };
    const run = async (recompute: boolean) => {
      const model = buildGradientGraph(tiny.model, {
        of: [tiny.objective],
        wrt: [tiny.input],
        seeds: "dynamic",
        ...(recompute ? { recompute: blocks(tiny) } : {}),
      });
      const outputs = await (await sessions(model))({ ...feeds, [gradName(tiny.objective)]: seed });
      return Array.from(outputs[gradName(tiny.input)]!.data as Float64Array);
    };
    const plain = await run(false);
    const recomputed = await run(true);
    const scale = Math.max(...plain.map(Math.abs));
    expect(scale).toBeGreaterThan(1e-3);
    expect(Math.max(...recomputed.map((value, i) => Math.abs(value - plain[i]!))) / scale).toBeLessThan(
      1e-12,
    );
  });

  it("leaves the backward pass reading no block's inner values: only the checkpoints", () => {
    const tiny = tinyLlama(config);
    const plain = buildGradientGraph(tiny.model, { of: [tiny.objective], wrt: [tiny.input] });
    const model = buildGradientGraph(tiny.model, {
      of: [tiny.objective],
      wrt: [tiny.input],
      recompute: blocks(tiny),
    });
    const forward = tiny.model.graph.nodes;
    const forwardNames = new Set(forward.map((node) => node.name));
    const backward = (nodes: readonly GraphNode[]) => nodes.filter((node) => !forwardNames.has(node.name));
    const inBlock = ({ by }: { by: GraphNode }) => /MatMul|Softmax|Sigmoid|Mul/.test(by.opType);
    const checkpoints = new Set(blocks(tiny).map((segment) => segment.input));
    // The plain backward reads block internals (softmax outputs, projections, ...); the recomputed one
    // reads only the checkpoints and values outside the blocks (rotary tables, the mask, the head).
    expect(forwardReads(backward(plain.graph.nodes), forward).filter(inBlock).length).toBeGreaterThan(10);
    const reads = forwardReads(backward(model.graph.nodes), forward);
    const inner = reads.filter(
      ({ input, by }) => inBlock({ by }) && !checkpoints.has(input) && !tiny.residuals.includes(input),
    );
    // The head's reads (final norm and output projection after the last block) are outside every block.
    const head = new Set(
      forward.slice(forward.findIndex((node) => node.outputs.includes(tiny.residuals.at(-1)!)) + 1),
    );
    expect(inner.filter(({ by }) => !head.has(by))).toEqual([]);
    // One more forward pass per block: the copies, each block's from its own checkpoint.
    for (const segment of blocks(tiny)) {
      const copies = model.graph.nodes.filter((node) => node.name.startsWith(`recompute/${segment.output}/`));
      expect(copies.length, segment.output).toBeGreaterThan(10);
    }
  });
});
