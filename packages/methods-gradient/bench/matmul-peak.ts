import { createGraphBuilder } from "@tokenscope/tensor-backends";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";

/** One MatMul shape [m × k]·[k × n] and the best rate it reached. */
export interface MatmulPeak {
  m: number;
  k: number;
  n: number;
  /** Best of the timed runs, GFLOP/s (2·m·k·n FLOPs per run). */
  gflops: number;
  runs: number;
}

function filled(length: number, seed: number): Float32Array {
  // A cheap deterministic fill: the values do not matter to the speed, only that they are not denormal.
  const data = new Float32Array(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[index] = state / 2 ** 32 - 0.5;
  }
  return data;
}

/**
 * The rate of one float32 MatMul on onnxruntime-node with `threads` intra-op threads: a graph of a
 * single MatMul (input A [m, k], weight B [k, n] as an initializer, as in a linear layer), built
 * with our graph builder; best of `runs` timed runs after two warm-ups, so that it bounds what the
 * attribution graphs can reach on this machine in the same process.
 */
export async function measureMatmulPeak(
  m: number,
  k: number,
  n: number,
  threads: number,
  runs: number,
): Promise<MatmulPeak> {
  const graph = createGraphBuilder("matmul");
  const a = graph.input("a", "float32", [m, k]);
  const b = graph.initializer(filled(k * n, 2), [k, n], { name: "b" });
  graph.output(graph.node("MatMul", [a, b])[0]!);
  const session = await createOnnxruntimeNodeRuntime().createSession(graph.build(), {
    intraOpThreads: threads,
  });
  try {
    const feeds = { a: { dataType: "float32" as const, dims: [m, k], data: filled(m * k, 1) } };
    for (let warmup = 0; warmup < 2; warmup++) await session.run(feeds);
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      await session.run(feeds);
      best = Math.min(best, performance.now() - started);
    }
    return { m, k, n, gflops: (2 * m * k * n) / (best / 1000) / 1e9, runs };
  } finally {
    await session.dispose();
  }
}
