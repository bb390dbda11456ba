import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isTensorBackendError, TensorBackendError } from "../errors.ts";
import { createGraphBuilder } from "../graph/builder.ts";
import { encodeModel } from "../graph/codec.ts";
import type { OnnxModel } from "../graph/types.ts";
import { nodeRuntimeCandidates } from "./candidates-node.ts";
import { createOnnxruntimeNodeRuntime, onnxruntimeNodeHasCudaProvider } from "./onnxruntime-node.ts";
import { createOnnxruntimeWebNodeRuntime } from "./onnxruntime-web-node.ts";
import { nodeNamedInOrtMessage } from "./ort-adapter.ts";
import { probeProviders } from "./probe.ts";
import { orderCandidates, type RuntimeCandidate, selectRuntime } from "./registry.ts";
import type { RuntimeSession, TensorRuntime } from "./types.ts";

const IN = 5;
const HIDDEN = 7;
const OUT = 3;
const BATCH = 4;

function values(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(seed * 12.9898 + i * 78.233) * 0.8);
}

const w1 = values(IN * HIDDEN, 1);
const b1 = values(HIDDEN, 2);
const w2 = values(HIDDEN * OUT, 3);
const b2 = values(OUT, 4);
const input = values(BATCH * IN, 5);

/** x → tanh(x·W1 + b1) → ·W2 + b2 → softmax. */
function mlp(): OnnxModel {
  const g = createGraphBuilder("mlp");
  const x = g.input("x", "float32", ["batch", IN]);
  const [h] = g.node(
    "Gemm",
    [x, g.initializer(w1, [IN, HIDDEN]), g.initializer(b1, [HIDDEN])],
    {},
    { name: "hidden" },
  );
  const [a] = g.node("Tanh", [h!]);
  const [logits] = g.node("Add", [
    g.node("MatMul", [a!, g.initializer(w2, [HIDDEN, OUT])])[0]!,
    g.initializer(b2, [OUT]),
  ]);
  const [probs] = g.node("Softmax", [logits!], { axis: -1 }, { outputs: ["probs"] });
  g.output(probs!);
  g.output(logits!);
  return g.build();
}

/** The same MLP in float64 plain JS: an independent reference. */
function reference(): number[] {
  const result: number[] = [];
  for (let row = 0; row < BATCH; row++) {
    const hidden = Array.from({ length: HIDDEN }, (_, j) => {
      let sum = b1[j]!;
      for (let i = 0; i < IN; i++) sum += input[row * IN + i]! * w1[i * HIDDEN + j]!;
      return Math.tanh(sum);
    });
    const logits = Array.from({ length: OUT }, (_, k) => {
      let sum = b2[k]!;
      for (let j = 0; j < HIDDEN; j++) sum += hidden[j]! * w2[j * OUT + k]!;
      return sum;
    });
    const max = Math.max(...logits);
    const exps = logits.map((v) => Math.exp(v - max));
    const total = exps.reduce((a, b) => a + b, 0);
    result.push(...exps.map((v) => v / total));
  }
  return result;
}

const sessions: RuntimeSession[] = [];
afterAll(async () => Promise.all(sessions.map((s) => s.dispose())));

async function runMlp(runtime: TensorRuntime, options = {}) {
  const session = await runtime.createSession(mlp(), options);
  sessions.push(session);
  return {
    session,
    outputs: await session.run({ x: { dataType: "float32", dims: [BATCH, IN], data: input } }),
  };
}

describe("runtimes on a builder-made MLP", () => {
  it("onnxruntime-node and onnxruntime-web agree within 1e-5 and match a float64 reference", async () => {
    const node = await runMlp(createOnnxruntimeNodeRuntime(), {
      graphOptimizationLevel: "all",
      intraOpThreads: 1,
    });
    const web = await runMlp(createOnnxruntimeWebNodeRuntime(), { graphOptimizationLevel: "disabled" });
    const expected = reference();
    const a = Array.from(node.outputs["probs"]!.data as Float32Array);
    const b = Array.from(web.outputs["probs"]!.data as Float32Array);
    expect(node.outputs["probs"]!.dims).toEqual([BATCH, OUT]);
    expect(web.outputs["probs"]!.dims).toEqual([BATCH, OUT]);
    a.forEach((value, i) => {
      expect(Math.abs(value - b[i]!)).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(value - expected[i]!)).toBeLessThanOrEqual(1e-5);
    });
    expect(node.session.inputNames).toEqual(["x"]);
    expect(node.session.outputNames).toEqual(["probs", "Add_out0"]);
    expect(web.session.providers).toEqual(["wasm"]);
  });

  it("computes only the fetched outputs when asked", async () => {
    const { session } = await runMlp(createOnnxruntimeNodeRuntime());
    const only = await session.run({ x: { dataType: "float32", dims: [BATCH, IN], data: input } }, [
      "Add_out0",
    ]);
    expect(Object.keys(only)).toEqual(["Add_out0"]);
  });

  it("falls back from CUDA to CPU with a recorded reason when the binary has no CUDA provider", async () => {
    const { session, outputs } = await runMlp(createOnnxruntimeNodeRuntime(), { providers: ["cuda", "cpu"] });
    if (await onnxruntimeNodeHasCudaProvider()) {
      expect(session.providers[0]).toMatch(/^(cuda|cpu)$/);
    } else {
      expect(session.providers).toEqual(["cpu"]);
      expect(session.fallbacks).toHaveLength(1);
      expect(session.fallbacks[0]).toMatch(
        /^cuda: the installed onnxruntime-node has no CUDA provider library/,
      );
      expect(session.fallbacks[0]).toContain("ONNXRUNTIME_NODE_INSTALL=cuda12");
    }
    const got = Array.from(outputs["probs"]!.data as Float32Array);
    for (const [i, value] of reference().entries())
      expect(Math.abs(got[i]! - value)).toBeLessThanOrEqual(1e-5);
  });

  it("does not ask ONNX Runtime for CUDA when the provider library is absent, and probes say so", async () => {
    const runtime = createOnnxruntimeNodeRuntime({ hasCudaProvider: async () => false });
    const probe = await probeProviders(runtime, { providers: ["cuda", "cpu"] });
    expect(probe.providers).toEqual(["cpu"]);
    expect(probe.fallbacks).toEqual([
      expect.stringMatching(/^cuda: the installed onnxruntime-node has no CUDA/),
    ]);
    expect(await probeProviders(runtime)).toEqual({ providers: ["cpu"], fallbacks: [] });
  });

  it("lets ONNX Runtime try CUDA when the library is there, and records its failure as the reason", async () => {
    // The library "exists" here but cannot load (no GPU, or CPU-only binary): ONNX Runtime's own
    // failure becomes the fallback reason.
    const runtime = createOnnxruntimeNodeRuntime({ hasCudaProvider: async () => true });
    const probe = await probeProviders(runtime, { providers: ["cuda", "cpu"] });
    if (probe.providers[0] === "cpu") expect(probe.fallbacks[0]).toMatch(/^cuda: /);
  });
});

/** The MLP with every initializer moved into one file of `folder`, at unaligned offsets. */
function mlpWithExternalWeights(folder: string): OnnxModel {
  const model = mlp();
  const parts: Uint8Array[] = [new Uint8Array(3)];
  let offset = 3;
  const initializers = model.graph.initializers.map((tensor) => {
    const bytes = new Uint8Array(new Float32Array(tensor.data as Float32Array).buffer);
    parts.push(bytes);
    const { data: _moved, ...rest } = tensor;
    const external = { location: "weights.bin", offset, length: bytes.byteLength };
    offset += bytes.byteLength + 1;
    parts.push(new Uint8Array(1));
    return { ...rest, external };
  });
  writeFileSync(join(folder, "weights.bin"), Buffer.concat(parts));
  return { ...model, graph: { ...model.graph, initializers } };
}

describe("external tensors left in their files (externalDataFolder)", () => {
  const folder = mkdtempSync(join(tmpdir(), "ts-external-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("onnxruntime-node reads them from the folder and gives the inline model's outputs", async () => {
    const model = mlpWithExternalWeights(folder);
    const inline = await runMlp(createOnnxruntimeNodeRuntime());
    const runtime = createOnnxruntimeNodeRuntime();
    // Two sessions over one file: each maps it (the pages are shared, nothing is copied per session).
    for (let copy = 0; copy < 2; copy++) {
      const session = await runtime.createSession(model, { externalDataFolder: folder });
      sessions.push(session);
      const outputs = await session.run({ x: { dataType: "float32", dims: [BATCH, IN], data: input } });
      expect(Array.from(outputs["probs"]!.data as Float32Array)).toEqual(
        Array.from(inline.outputs["probs"]!.data as Float32Array),
      );
    }
  });

  it("without the folder, and on onnxruntime-web, the model is refused with what to do", async () => {
    const model = mlpWithExternalWeights(folder);
    await expect(createOnnxruntimeNodeRuntime().createSession(model)).rejects.toMatchObject({
      code: "INVALID_ARGUMENT",
      hint: expect.stringMatching(/externalDataFolder/),
    });
    await expect(
      createOnnxruntimeWebNodeRuntime().createSession(model, { externalDataFolder: folder }),
    ).rejects.toMatchObject({ code: "INVALID_ARGUMENT", hint: expect.stringMatching(/loadExternalData/) });
  });

  it("a file that is too short is an INVALID_MODEL error, not a crash", async () => {
    const model = mlpWithExternalWeights(folder);
    const other = mkdtempSync(join(tmpdir(), "ts-external-short-"));
    try {
      writeFileSync(join(other, "weights.bin"), new Uint8Array(16));
      const error = await createOnnxruntimeNodeRuntime()
        .createSession(model, { externalDataFolder: other })
        .catch((caught: unknown) => caught);
      expect(isTensorBackendError(error) && error.code).toBe("INVALID_MODEL");
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("runtime errors", () => {
  function badGraph(): OnnxModel {
    const g = createGraphBuilder("bad");
    const x = g.input("x", "float32", [2, 3]);
    const w = g.initializer(new Float32Array(8), [4, 2]);
    const [y] = g.node("MatMul", [x, w], {}, { name: "broken_matmul" });
    g.output(y!, "float32", [2, 2]);
    return g.build();
  }

  it("onnxruntime-node: a session on a bad graph fails with INVALID_MODEL naming the node", async () => {
    const error = await createOnnxruntimeNodeRuntime()
      .createSession(encodeModel(badGraph()))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isTensorBackendError(error, "INVALID_MODEL")).toBe(true);
    expect((error as TensorBackendError).message).toContain("(node 'broken_matmul')");
    expect((error as TensorBackendError).details?.["node"]).toBe("broken_matmul");
  });

  it("onnxruntime-web: the same failure is INVALID_MODEL with ONNX Runtime's reason (wasm names no node)", async () => {
    const error = await createOnnxruntimeWebNodeRuntime()
      .createSession(badGraph())
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(isTensorBackendError(error, "INVALID_MODEL")).toBe(true);
    expect((error as TensorBackendError).message).toMatch(/Incompatible dimensions/);
  });

  it("a feed of the wrong element type fails with a typed error", async () => {
    const { session } = await runMlp(createOnnxruntimeNodeRuntime());
    const error = await session
      .run({ x: { dataType: "float64", dims: [BATCH, IN], data: Float64Array.from(input) } })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(TensorBackendError);
    expect((error as TensorBackendError).code).toBe("DTYPE_MISMATCH");
  });

  it("reads node names out of ONNX Runtime messages", () => {
    expect(
      nodeNamedInOrtMessage("[ShapeInferenceError] Node (mm_1) Op (MatMul) Incompatible dimensions"),
    ).toBe("mm_1");
    expect(
      nodeNamedInOrtMessage("Non-zero status code returned while running Add node. Name:'add_7' Status"),
    ).toBe("add_7");
    expect(nodeNamedInOrtMessage("Invalid model")).toBeUndefined();
  });
});

describe("selectRuntime", () => {
  const failing = (name: string, priority: number, message: string): RuntimeCandidate => ({
    name,
    priority,
    load: async () => {
      throw new Error(message);
    },
  });
  const working = (name: string, priority: number): RuntimeCandidate => ({
    name,
    priority,
    load: async () => ({ name, createSession: async () => Promise.reject(new Error("unused")) }),
  });

  it("tries candidates by priority, preference first, and skips the excluded", async () => {
    const candidates = [working("low", 1), working("high", 10), working("mid", 5)];
    expect(orderCandidates({ candidates }).map((c) => c.name)).toEqual(["high", "mid", "low"]);
    expect(orderCandidates({ candidates, prefer: ["low"] }).map((c) => c.name)).toEqual([
      "low",
      "high",
      "mid",
    ]);
    expect(orderCandidates({ candidates, exclude: ["high"] }).map((c) => c.name)).toEqual(["mid", "low"]);
    expect((await selectRuntime({ candidates: [failing("broken", 99, "nope"), ...candidates] })).name).toBe(
      "high",
    );
  });

  it("throws one RUNTIME_UNAVAILABLE error listing every failure", async () => {
    const error = await selectRuntime({
      candidates: [failing("a", 2, "no binary for this platform"), failing("b", 1, "no WebAssembly")],
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isTensorBackendError(error, "RUNTIME_UNAVAILABLE")).toBe(true);
    expect((error as Error).message).toContain("a: no binary for this platform");
    expect((error as Error).message).toContain("b: no WebAssembly");
    expect((error as TensorBackendError).details?.["failures"]).toHaveLength(2);
  });

  it("picks onnxruntime-node in Node, and onnxruntime-web when asked", async () => {
    expect((await selectRuntime({ candidates: nodeRuntimeCandidates() })).name).toBe("onnxruntime-node");
    const web = await selectRuntime({ candidates: nodeRuntimeCandidates(), prefer: ["onnxruntime-web"] });
    expect(web.name).toBe("onnxruntime-web");
    const { outputs } = await runMlp(web);
    expect(outputs["probs"]!.dims).toEqual([BATCH, OUT]);
  });
});
