import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { isTensorBackendError, type TensorBackendError } from "../errors.ts";
import { createGraphBuilder } from "../graph/builder.ts";
import type { OnnxModel } from "../graph/types.ts";
import { buildGradientGraph, gradName } from "./build-gradient-graph.ts";
import { createRuleRegistry } from "./registry.ts";
import { gradientRules } from "./rules/index.ts";
import { checkGradient } from "./testing/gradient-check.ts";
import { checkModelGradient } from "./testing/model-check.ts";
import { ortSessionFactory } from "./testing/ort-session.ts";
import { seededRandom, uniformValues } from "./testing/random.ts";
import { TINY, tinyGpt2, tinyLlama } from "./testing/tiny-transformers.ts";

const sessions = ortSessionFactory(ort as never);

function caught(run: () => unknown): TensorBackendError {
  try {
    run();
  } catch (error) {
    if (isTensorBackendError(error)) return error;
    throw error;
  }
  throw new Error("expected a TensorBackendError");
}

function float64(dims: number[], seed: number) {
  const count = dims.reduce((total, dim) => total * dim, 1);
  return {
    dataType: "float64" as const,
    dims,
    data: Float64Array.from(uniformValues(seededRandom(seed), count)),
  };
}

/** y = x·x + sin(x)·w, with x read three times (fan-out) and an off-path branch z = exp(w). */
function fanOutModel(): OnnxModel {
  const g = createGraphBuilder("fan-out");
  const x = g.input("x", "float64", ["batch", 3]);
  const w = g.initializer(new Float64Array([0.5, -1, 2]), [3], { name: "w" });
  const square = g.node("Mul", [x, x], {}, { name: "square" })[0]!;
  const wave = g.node("Mul", [g.node("Sin", [x])[0]!, w], {}, { name: "wave" })[0]!;
  g.node("Add", [square, wave], {}, { outputs: ["y"] });
  g.node("Exp", [w], {}, { name: "off_path", outputs: ["z"] });
  g.output("y", "float64", ["batch", 3]);
  g.output("z", "float64", [3]);
  return g.build({ "": 18 });
}

describe("buildGradientGraph", () => {
  it("sums gradient contributions through fan-out", async () => {
    const result = await checkModelGradient(
      fanOutModel(),
      { of: ["y"], wrt: ["x"], feeds: { x: float64([2, 3], 1) } },
      sessions,
    );
    expect(result.maxError).toBeLessThanOrEqual(1e-6);
  });

  it("adds one seed input per `of` and one gradient output per `wrt`, keeping the original outputs", () => {
    const gradient = buildGradientGraph(fanOutModel(), { of: ["y"], wrt: ["x"], seeds: 4 });
    expect(gradient.graph.inputs.map((input) => [input.name, input.shape])).toEqual([
      ["x", ["batch", 3]],
      ["y_grad", [4, "batch", 3]],
    ]);
    expect(gradient.graph.outputs.map((output) => output.name)).toEqual(["y", "z", "x_grad"]);
    expect(gradient.graph.outputs[2]!.shape).toEqual([4, "batch", 3]);
    expect(gradient.opsetImports).toEqual([{ domain: "", version: 18 }]);
    expect(gradient.graph.nodes.every((node) => node.domain === "")).toBe(true);
  });

  it("emits backward nodes only for the path between wrt and of (none for weights or off-path nodes)", () => {
    const g = createGraphBuilder("linear");
    const x = g.input("x", "float64", [2, 4]);
    const w = g.initializer(new Float64Array(12), [4, 3], { name: "w" });
    const h = g.node("MatMul", [x, w], {}, { name: "project" })[0]!;
    g.node("Tanh", [h], {}, { name: "squash", outputs: ["y"] });
    g.node("Exp", [h], {}, { name: "side", outputs: ["side_out"] });
    g.output("y", "float64", [2, 3]);
    g.output("side_out", "float64", [2, 3]);
    const model = g.build({ "": 18 });
    const backward = buildGradientGraph(model, { of: ["y"], wrt: ["x"] }).graph.nodes.slice(
      model.graph.nodes.length,
    );
    // d/dx of x·W needs one product, ∂y·Wᵀ as Gemm(transB) reading W itself (a Transpose of W would be
    // folded into a copy of the weight); ∂W = xᵀ·∂y is never built, and the Exp branch gets nothing.
    const products = backward.filter((node) => node.opType === "MatMul" || node.opType === "Gemm");
    expect(products.map((node) => [node.opType, node.inputs[1], node.attributes["transB"]])).toEqual([
      ["Gemm", "w", { type: "int", value: 1 }],
    ]);
    expect(backward.some((node) => node.name.startsWith("grad/side/"))).toBe(false);
    expect(backward.some((node) => node.opType === "Transpose")).toBe(false);
  });

  it.each([
    { seeds: 3, seedCount: 3 },
    { seeds: "dynamic", seedCount: 3 },
    { seeds: "dynamic", seedCount: 5 },
  ] as const)(
    "computes K vector-Jacobian products in one run equal to K single-seed runs (seeds: $seeds, K = $seedCount)",
    async ({ seeds: seedOption, seedCount }) => {
      const tiny = tinyGpt2();
      const feeds = { [tiny.input]: float64([2, 4, TINY.hidden], 2) };
      const perSeed = 2 * 4 * TINY.vocab;
      const seeds = uniformValues(seededRandom(8), seedCount * perSeed);
      const wrt = [tiny.input, tiny.residuals[0]!];
      const vectorised = await sessions(
        buildGradientGraph(tiny.model, { of: [tiny.logits], wrt, seeds: seedOption }),
      );
      const together = await vectorised({
        ...feeds,
        [gradName(tiny.logits)]: {
          dataType: "float64",
          dims: [seedCount, 2, 4, TINY.vocab],
          data: Float64Array.from(seeds),
        },
      });
      const single = await sessions(buildGradientGraph(tiny.model, { of: [tiny.logits], wrt }));
      for (let k = 0; k < seedCount; k++) {
        const alone = await single({
          ...feeds,
          [gradName(tiny.logits)]: {
            dataType: "float64",
            dims: [2, 4, TINY.vocab],
            data: Float64Array.from(seeds.slice(k * perSeed, (k + 1) * perSeed)),
          },
        });
        for (const name of wrt) {
          const batched = together[gradName(name)]!;
          expect(batched.dims).toEqual([seedCount, 2, 4, TINY.hidden]);
          const size = 2 * 4 * TINY.hidden;
          const slice = Array.from((batched.data as Float64Array).subarray(k * size, (k + 1) * size));
          const reference = Array.from(alone[gradName(name)]!.data as Float64Array);
          const scale = Math.max(...reference.map(Math.abs));
          expect(scale).toBeGreaterThan(0);
          expect(
            Math.max(...slice.map((value, index) => Math.abs(value - reference[index]!))) / scale,
          ).toBeLessThan(1e-12);
        }
      }
    },
  );

  it("multiplies only the gathered row by the output weights, with K seeds equal to single runs", async () => {
    const tiny = tinyLlama();
    const vectorised = buildGradientGraph(tiny.model, { of: [tiny.objective], wrt: [tiny.input], seeds: 2 });
    const backward = vectorised.graph.nodes.slice(tiny.model.graph.nodes.length);
    // The logit gradient is one position padded with zeros: no one-hot Einsum, and the product with
    // the output weights reads the one-row block and is padded afterwards.
    expect(backward.some((node) => node.opType === "Einsum")).toBe(false);
    const head = tiny.model.graph.nodes.find((node) => node.outputs.includes(tiny.logits))!;
    const producerOf = (value: string) => backward.find((node) => node.outputs.includes(value))!;
    const product = backward.find((node) => node.name.startsWith(`grad/${head.name}/Gemm`))!;
    const rows = producerOf(product.inputs[0]!);
    expect(rows.opType).toBe("Flatten");
    expect(producerOf(rows.inputs[0]!).opType).not.toBe("Pad");
    const reshaped = backward.find((node) => node.inputs[0] === product.outputs[0])!;
    expect(reshaped.opType).toBe("Reshape");
    expect(backward.find((node) => node.inputs[0] === reshaped.outputs[0])?.opType).toBe("Pad");

    const feeds = { [tiny.input]: float64([2, 4, TINY.hidden], 6) };
    const seeds = [1, -2, 0.5, 3];
    const together = await (await sessions(vectorised))({
      ...feeds,
      [gradName(tiny.objective)]: { dataType: "float64", dims: [2, 2], data: Float64Array.from(seeds) },
    });
    const single = await sessions(
      buildGradientGraph(tiny.model, { of: [tiny.objective], wrt: [tiny.input] }),
    );
    const size = 2 * 4 * TINY.hidden;
    for (let k = 0; k < 2; k++) {
      const seed = {
        dataType: "float64" as const,
        dims: [2],
        data: Float64Array.from(seeds.slice(2 * k, 2 * k + 2)),
      };
      const alone = (await single({ ...feeds, [gradName(tiny.objective)]: seed }))[gradName(tiny.input)]!;
      const reference = Array.from(alone.data as Float64Array);
      const batched = together[gradName(tiny.input)]!.data as Float64Array;
      const slice = Array.from(batched.subarray(k * size, (k + 1) * size));
      const scale = Math.max(...reference.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-3);
      expect(
        Math.max(...slice.map((value, index) => Math.abs(value - reference[index]!))) / scale,
      ).toBeLessThan(1e-12);
    }
  });

  it("accumulates seeds of several `of` tensors, one upstream of the other", async () => {
    const g = createGraphBuilder("two-outputs");
    const x = g.input("x", "float64", [2, 3]);
    const a = g.node("Tanh", [x], {}, { outputs: ["a"] })[0]!;
    g.node("Mul", [a, x], {}, { outputs: ["b"] });
    g.output("a", "float64", [2, 3]);
    g.output("b", "float64", [2, 3]);
    const result = await checkModelGradient(
      g.build({ "": 18 }),
      { of: ["a", "b"], wrt: ["x"], feeds: { x: float64([2, 3], 3) } },
      sessions,
    );
    expect(result.maxError).toBeLessThanOrEqual(1e-6);
  });

  it("is checked by a checker that catches a wrong rule", async () => {
    const subRule = gradientRules.find((rule) => rule.opType === "Sub")!;
    const wrongSub = {
      ...subRule,
      vjp:
        subRule.vjp && ((ctx: Parameters<typeof subRule.vjp>[0]) => [ctx.gradOutput(0), ctx.gradOutput(0)]),
    };
    const registry = createRuleRegistry([...gradientRules, wrongSub], { overwrite: true });
    const { errors } = await checkGradient(
      { name: "sub", opType: "Sub", inputs: [{ shape: [2, 3] }, { shape: [2, 3] }] },
      sessions,
      { registry },
    );
    expect(errors["x0"]).toBeLessThan(1e-6);
    expect(errors["x1"]).toBeGreaterThan(1);
  });
});

describe("buildGradientGraph errors", () => {
  it("names an unsupported operator on the path, its node and the path through it", () => {
    const g = createGraphBuilder("softplus");
    const x = g.input("x", "float64", [2]);
    const h = g.node("Softplus", [x], {}, { name: "soft", outputs: ["h"] })[0]!;
    g.node("Mul", [h, h], {}, { name: "square", outputs: ["y"] });
    g.output("y", "float64", [2]);
    const error = caught(() => buildGradientGraph(g.build({ "": 18 }), { of: ["y"], wrt: ["x"] }));
    expect(error.code).toBe("UNSUPPORTED_OPERATOR");
    expect(error.message).toContain("Softplus (node 'soft')");
    expect(error.message).toContain("x → Softplus(soft) → h → Mul(square) → y");
  });

  it("points contrib operators to rewriteContribOps", () => {
    const g = createGraphBuilder("contrib");
    const x = g.input("x", "float32", [2]);
    g.node("FastGelu", [x], {}, { domain: "com.microsoft", outputs: ["y"] });
    g.output("y", "float32", [2]);
    const error = caught(() =>
      buildGradientGraph(g.build({ "": 18, "com.microsoft": 1 }), { of: ["y"], wrt: ["x"] }),
    );
    expect(error.code).toBe("UNSUPPORTED_OPERATOR");
    expect(error.hint).toContain("rewriteContribOps");
  });

  it("rejects a wrt that is not upstream of any of", () => {
    const g = createGraphBuilder("disconnected");
    const x = g.input("x", "float64", [2]);
    const z = g.input("z", "float64", [2]);
    g.node("Exp", [x], {}, { outputs: ["y"] });
    g.node("Reshape", [x, g.node("Shape", [z])[0]!], {}, { outputs: ["r"] });
    g.output("y", "float64", [2]);
    g.output("r", "float64", [2]);
    const model = g.build({ "": 18 });
    expect(caught(() => buildGradientGraph(model, { of: ["y"], wrt: ["z"] })).code).toBe(
      "NOT_DIFFERENTIABLE_PATH",
    );
    // z reaches r only through Shape: no gradient path either.
    const error = caught(() => buildGradientGraph(model, { of: ["r"], wrt: ["z"] }));
    expect(error.code).toBe("NOT_DIFFERENTIABLE_PATH");
    expect(error.message).toContain("'z'");
  });

  it("rejects an integer value on the path, and an integer wrt", () => {
    const g = createGraphBuilder("int-path");
    const x = g.input("x", "float64", [2]);
    const ids = g.input("ids", "int64", [2]);
    const rounded = g.node("Cast", [x], { to: 7 }, { name: "to_int", outputs: ["as_int"] })[0]!;
    const back = g.node("Cast", [rounded], { to: 11 }, { name: "to_float" })[0]!;
    g.node("Add", [back, g.node("Cast", [ids], { to: 11 })[0]!], {}, { outputs: ["y"] });
    g.output("y", "float64", [2]);
    const model = g.build({ "": 18 });
    const onPath = caught(() => buildGradientGraph(model, { of: ["y"], wrt: ["x"] }));
    expect(onPath.code).toBe("DTYPE_MISMATCH");
    expect(onPath.message).toContain("'as_int' (int64");
    expect(caught(() => buildGradientGraph(model, { of: ["y"], wrt: ["ids"] })).code).toBe("DTYPE_MISMATCH");
  });

  it("rejects opsets before 13, unknown names and bad seed counts", () => {
    const g = createGraphBuilder("old");
    const x = g.input("x", "float64", [2]);
    g.node("Exp", [x], {}, { outputs: ["y"] });
    g.output("y", "float64", [2]);
    expect(caught(() => buildGradientGraph(g.build({ "": 12 }), { of: ["y"], wrt: ["x"] })).code).toBe(
      "INVALID_MODEL",
    );
    const model = g.build({ "": 13 });
    expect(caught(() => buildGradientGraph(model, { of: ["nope"], wrt: ["x"] })).code).toBe(
      "INVALID_ARGUMENT",
    );
    expect(caught(() => buildGradientGraph(model, { of: ["y"], wrt: ["x"], seeds: 0 })).code).toBe(
      "INVALID_ARGUMENT",
    );
    expect(caught(() => buildGradientGraph(model, { of: ["y"], wrt: ["y"] })).code).toBe("INVALID_ARGUMENT");
  });
});
