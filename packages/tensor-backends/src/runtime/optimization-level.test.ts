import { afterAll, describe, expect, it } from "vitest";
import { isTensorBackendError } from "../errors.ts";
import { createGraphBuilder } from "../graph/builder.ts";
import { encodeModel } from "../graph/codec.ts";
import type { OnnxModel } from "../graph/types.ts";
import { createOnnxruntimeNodeRuntime } from "./onnxruntime-node.ts";
import { createOnnxruntimeWebNodeRuntime } from "./onnxruntime-web-node.ts";
import { defaultOptimizationLevel, usesFloat64 } from "./optimization-level.ts";
import { createOrtSession, type OrtModuleLike } from "./ort-adapter.ts";
import type { RuntimeSession, TensorRuntime } from "./types.ts";

const INPUT = [-2, -0.5, 0, 0.25, 1, 3];

/** y = x·Sigmoid(x) (SiLU): what ONNX Runtime's extended optimizations fuse into com.microsoft.QuickGelu. */
function silu(dataType: "float64" | "float32"): OnnxModel {
  const g = createGraphBuilder("silu");
  const x = g.input("x", dataType, [2, 3]);
  const [gate] = g.node("Sigmoid", [x]);
  const [y] = g.node("Mul", [x, gate!], {}, { outputs: ["y"] });
  g.output(y!, dataType, [2, 3]);
  return g.build({ "": 17 });
}

/** The float64 SiLU of INPUT, to 14 digits. */
function expectSilu(y: number[]): void {
  expect(y).toHaveLength(INPUT.length);
  for (const [index, value] of INPUT.entries())
    expect(y[index]).toBeCloseTo(value / (1 + Math.exp(-value)), 14);
}
const feeds = { x: { dataType: "float64" as const, dims: [2, 3], data: Float64Array.from(INPUT) } };

const sessions: RuntimeSession[] = [];
afterAll(async () => Promise.all(sessions.map((session) => session.dispose())));

async function run(runtime: TensorRuntime, model: OnnxModel | Uint8Array, options = {}) {
  const session = await runtime.createSession(model, options);
  sessions.push(session);
  return { session, y: Array.from((await session.run(feeds))["y"]!.data as Float64Array) };
}

describe("default graph optimization level", () => {
  it.each([
    ["onnxruntime-node", createOnnxruntimeNodeRuntime()],
    ["onnxruntime-web", createOnnxruntimeWebNodeRuntime()],
  ])("%s runs a float64 x·Sigmoid(x) graph when the caller sets no level", async (_, runtime) => {
    const { session, y } = await run(runtime, silu("float64"));
    expectSilu(y);
    expect(session.fallbacks).toEqual([]);
  });

  it("keeps a level the caller sets, even one that cannot run float64", async () => {
    const error = await run(createOnnxruntimeNodeRuntime(), silu("float64"), {
      graphOptimizationLevel: "all",
    }).catch((caught: unknown) => caught);
    expect(isTensorBackendError(error, "INVALID_MODEL")).toBe(true);
    expect((error as Error).message).toMatch(/QuickGelu/);
  });

  it("retries model bytes with 'basic' when a fused kernel is missing, and says so", async () => {
    const { session, y } = await run(createOnnxruntimeNodeRuntime(), encodeModel(silu("float64")));
    expectSilu(y);
    expect(session.fallbacks).toHaveLength(1);
    expect(session.fallbacks[0]).toMatch(/^graph optimization "all" → "basic": .*QuickGelu/);
  });

  it("passes 'basic' for float64 models and leaves float32 models at ONNX Runtime's default", async () => {
    const passed: Record<string, unknown>[] = [];
    const ort = {
      InferenceSession: {
        async create(_bytes: Uint8Array, options: Record<string, unknown>) {
          passed.push(options);
          return {} as never;
        },
      },
      Tensor: class {},
    } as unknown as OrtModuleLike;
    await createOrtSession(ort, silu("float64"), {}, ["cpu"]);
    await createOrtSession(ort, silu("float32"), {}, ["cpu"]);
    await createOrtSession(ort, silu("float64"), { graphOptimizationLevel: "extended" }, ["cpu"]);
    await createOrtSession(ort, silu("float64"), { ortOptions: { graphOptimizationLevel: "all" } }, ["cpu"]);
    expect(passed.map((options) => options["graphOptimizationLevel"])).toEqual([
      "basic",
      undefined,
      "extended",
      "all",
    ]);
  });

  it("finds float64 in inputs, initializers, constants and casts", () => {
    expect(usesFloat64(silu("float32"))).toBe(false);
    const g = createGraphBuilder("cast");
    const x = g.input("x", "float32", [2]);
    const [wide] = g.node("Cast", [x], { to: 11 });
    g.output(g.node("Cast", [wide!], { to: 1 })[0]!, "float32", [2]);
    expect(usesFloat64(g.build())).toBe(true);
    const h = createGraphBuilder("constant");
    const y = h.input("y", "float32", [2]);
    h.output(h.node("Add", [y, h.initializer(new Float32Array([1, 2]), [2])])[0]!, "float32", [2]);
    expect(usesFloat64(h.build())).toBe(false);
    expect(defaultOptimizationLevel(encodeModel(silu("float64")), {})).toBeUndefined();
  });
});
