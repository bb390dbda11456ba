import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadModel } from "@tokenscope/models/node";
import { createOnnxruntimeNodeRuntime, decodeModel } from "@tokenscope/tensor-backends/node";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const folder = mkdtempSync(join(tmpdir(), "tokenscope-onnx-export-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("tokenscope onnx export", () => {
  it("writes the model's graph, which ONNX Runtime runs to the model's own logits, and which onnx grad differentiates", async () => {
    const out = join(folder, "model.onnx");
    const io = memoryIO();
    expect(await run(["onnx", "export", "--model", stories, "--out", out, "--json"], io), io.err()).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({
      architecture: "llama",
      inputs: ["input_ids", "attention_mask", "position_ids"],
      outputs: ["logits"],
    });
    const session = await createOnnxruntimeNodeRuntime().createSession(readFileSync(out));
    const ids = [1, 403, 407, 261, 378];
    const outputs = await session.run({
      input_ids: { dataType: "int64", dims: [1, 5], data: BigInt64Array.from(ids, BigInt) },
      attention_mask: { dataType: "int64", dims: [1, 5], data: new BigInt64Array(5).fill(1n) },
      position_ids: { dataType: "int64", dims: [1, 5], data: BigInt64Array.from([0, 1, 2, 3, 4], BigInt) },
    });
    const model = await loadModel(stories);
    const reference = await model.forward!({ inputs: { ids: [ids] } });
    const logits = outputs["logits"]!.data as Float32Array;
    expect(logits.length).toBe(reference.logits.data.length);
    let worst = 0;
    logits.forEach((value, index) => {
      worst = Math.max(worst, Math.abs(value - Number(reference.logits.data[index])));
    });
    expect(worst).toBeLessThan(1e-4);
    await session.dispose();
    await model.dispose?.();

    const embeds = join(folder, "embeds.onnx");
    expect(
      await run(["onnx", "export", "--model", stories, "--input", "embeds", "--out", embeds], memoryIO()),
    ).toBe(0);
    expect(decodeModel(readFileSync(embeds)).graph.inputs.map((input) => input.name)).toContain(
      "inputs_embeds",
    );
    const grad = memoryIO();
    const code = await run(
      [
        "onnx",
        "grad",
        embeds,
        "--of",
        "logits",
        "--wrt",
        "inputs_embeds",
        "--out",
        join(folder, "grad.onnx"),
      ],
      grad,
    );
    expect(code, grad.err()).toBe(0);
    expect(grad.out()).toContain("inputs_embeds_grad");
  });

  it("refuses a missing model with MODEL_LOAD_FAILED (exit 4)", async () => {
    const io = memoryIO();
    expect(
      await run(["onnx", "export", "--model", join(folder, "nope"), "--out", join(folder, "x.onnx")], io),
    ).toBe(4);
    expect(io.err()).toContain("MODEL_LOAD_FAILED");
  });
});
