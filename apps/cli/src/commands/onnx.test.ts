import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeModel } from "@tokenscope/tensor-backends";
import { createOnnxruntimeNodeRuntime } from "@tokenscope/tensor-backends/node";
import { describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// Graphs written by another tool: ONNX's own operator test models (Debian libonnx-testdata).
const TESTDATA = join(process.env["ONNX_TESTDATA_DIR"] ?? "/usr/share/libonnx-testdata/data", "node");
const hasTestdata = existsSync(TESTDATA);
if (!hasTestdata)
  console.warn(`SKIPPING onnx CLI tests: ${TESTDATA} is absent (apt-get install libonnx-testdata).`);
const model = (name: string) => join(TESTDATA, name, "model.onnx");
const folder = mkdtempSync(join(tmpdir(), "tokenscope-onnx-cli-"));

const runtime = createOnnxruntimeNodeRuntime();

function seededFloats(count: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  });
}

describe.skipIf(!hasTestdata)("tokenscope onnx", () => {
  it("grad writes a graph whose VJPs match the analytic gradient of MatMul", async () => {
    const out = join(folder, "matmul-grad.onnx");
    const io = memoryIO();
    expect(
      await run(
        ["onnx", "grad", model("test_matmul_2d"), "--of", "c", "--wrt", "a,b", "--out", out, "--json"],
        io,
      ),
    ).toBe(0);
    const summary = JSON.parse(io.out());
    expect(summary.seedInputs.map((value: { name: string }) => value.name)).toEqual(["c_grad"]);
    expect(summary.gradientOutputs.map((value: { name: string }) => value.name)).toEqual([
      "a_grad",
      "b_grad",
    ]);

    const written = decodeModel(readFileSync(out));
    expect(written.graph.inputs.map((value) => value.name)).toEqual(["a", "b", "c_grad"]);
    expect(written.graph.outputs.map((value) => value.name)).toEqual(["c", "a_grad", "b_grad"]);

    // a [3,4] @ b [4,3] = c [3,3]; with seed g: a_grad = g bᵀ, b_grad = aᵀ g.
    const a = seededFloats(12, 1);
    const b = seededFloats(12, 2);
    const g = seededFloats(9, 3);
    const session = await runtime.createSession(new Uint8Array(readFileSync(out)));
    const result = await session.run({
      a: { dataType: "float32", dims: [3, 4], data: a },
      b: { dataType: "float32", dims: [4, 3], data: b },
      c_grad: { dataType: "float32", dims: [3, 3], data: g },
    });
    await session.dispose();
    const aGrad = result["a_grad"]!.data as Float32Array;
    const bGrad = result["b_grad"]!.data as Float32Array;
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k < 4; k++) {
        let expected = 0;
        for (let j = 0; j < 3; j++) expected += g[i * 3 + j]! * b[k * 3 + j]!;
        expect(aGrad[i * 4 + k]).toBeCloseTo(expected, 5);
      }
    }
    for (let k = 0; k < 4; k++) {
      for (let j = 0; j < 3; j++) {
        let expected = 0;
        for (let i = 0; i < 3; i++) expected += a[i * 4 + k]! * g[i * 3 + j]!;
        expect(bGrad[k * 3 + j]).toBeCloseTo(expected, 5);
      }
    }
  });

  it("grad --seeds K gives seeds and gradients a leading axis of K", async () => {
    const out = join(folder, "softmax-grad-k.onnx");
    const io = memoryIO();
    expect(
      await run(
        [
          "onnx",
          "grad",
          model("test_softmax_example"),
          "--of",
          "y",
          "--wrt",
          "x",
          "--seeds",
          "4",
          "--out",
          out,
        ],
        io,
      ),
    ).toBe(0);
    expect(io.out()).toContain("x_grad");
    const written = decodeModel(readFileSync(out));
    const seed = written.graph.inputs.find((value) => value.name === "y_grad")!;
    const grad = written.graph.outputs.find((value) => value.name === "x_grad")!;
    expect(seed.shape?.[0]).toBe(4);
    expect(grad.shape?.[0]).toBe(4);
  });

  it("inspect lists operators and those without a gradient rule on the path", async () => {
    const io = memoryIO();
    expect(await run(["onnx", "inspect", model("test_softplus_example"), "--json"], io)).toBe(0);
    const summary = JSON.parse(io.out());
    expect(summary.opCounts).toEqual({ Softplus: 1 });
    expect(summary.opsOnPathWithoutRule).toEqual([{ opType: "Softplus", domain: "", count: 1 }]);
    const text = memoryIO();
    expect(await run(["onnx", "inspect", model("test_matmul_2d")], text)).toBe(0);
    expect(text.out()).toContain("MatMul");
    expect(text.out()).toContain("has a gradient rule");
  });

  it("names the operator without a rule and exits 4; refuses opsets below 13", async () => {
    const io = memoryIO();
    const code = await run(
      [
        "onnx",
        "grad",
        model("test_hardswish"),
        "--of",
        "y",
        "--wrt",
        "x",
        "--out",
        join(folder, "never.onnx"),
      ],
      io,
    );
    expect(code).toBe(4);
    expect(io.err()).toContain("UNSUPPORTED_OPERATOR");
    expect(io.err()).toContain("HardSwish");
    expect(existsSync(join(folder, "never.onnx"))).toBe(false);
    const old = memoryIO();
    expect(
      await run(
        [
          "onnx",
          "grad",
          model("test_softplus_example"),
          "--of",
          "y",
          "--wrt",
          "x",
          "--out",
          join(folder, "never.onnx"),
        ],
        old,
      ),
    ).toBe(4);
    expect(old.err()).toContain("opset 13");
  });

  it("rejects a wrt tensor that does not lead to the of tensor (exit 3)", async () => {
    const io = memoryIO();
    const code = await run(
      [
        "onnx",
        "grad",
        model("test_add_bcast"),
        "--of",
        "x",
        "--wrt",
        "y",
        "--out",
        join(folder, "never2.onnx"),
      ],
      io,
    );
    expect(code).toBe(3);
    expect(io.err()).toMatch(/NOT_DIFFERENTIABLE_PATH|INVALID_ARGUMENT/);
  });
});

describe("tokenscope onnx errors without testdata", () => {
  it("reports a corrupt file (exit 4) and a missing file (exit 4)", async () => {
    const corrupt = join(folder, "corrupt.onnx");
    writeFileSync(corrupt, Buffer.from("this is not a protobuf model"));
    const io = memoryIO();
    expect(await run(["onnx", "inspect", corrupt], io)).toBe(4);
    expect(io.err()).toContain("INVALID_MODEL");
    const missing = memoryIO();
    expect(await run(["onnx", "inspect", join(folder, "nope.onnx")], missing)).toBe(4);
    expect(missing.err()).toContain("IO_ERROR");
  });

  it("requires --of, --wrt and --out (exit 2)", async () => {
    const io = memoryIO();
    expect(await run(["onnx", "grad", "x.onnx", "--of", "y"], io)).toBe(2);
    expect(io.err()).toContain("required option");
  });
});
