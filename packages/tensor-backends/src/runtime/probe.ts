/**
 * Finding out where a runtime will really run before the first real session: the answer to "did the
 * CUDA request take?" that a user needs once, at load, rather than buried in every session.
 */
import { createGraphBuilder } from "../graph/builder.ts";
import type { SessionOptions, TensorRuntime } from "./types.ts";

/** The providers a runtime starts for `options`, and why any requested one was dropped. */
export interface ProviderProbe {
  providers: readonly string[];
  fallbacks: readonly string[];
}

/**
 * Creates (and disposes) a one-node session with `options` and reports the providers it got: the same
 * fallback path every real session takes, on a graph that costs nothing to build.
 */
export async function probeProviders(
  runtime: TensorRuntime,
  options: SessionOptions = {},
): Promise<ProviderProbe> {
  const graph = createGraphBuilder("provider_probe");
  const input = graph.input("x", "float32", [1]);
  const [output] = graph.node("Identity", [input]);
  graph.output(output!, "float32", [1]);
  const session = await runtime.createSession(graph.build(), options);
  try {
    return { providers: [...session.providers], fallbacks: [...session.fallbacks] };
  } finally {
    await session.dispose();
  }
}
