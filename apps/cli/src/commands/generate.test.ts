import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));

describe("tokenscope generate and models inspect", () => {
  it("generates the README continuation of stories260K as JSON", async () => {
    const io = memoryIO();
    expect(
      await run(["generate", "--model", stories, "Once upon a time", "--max-new-tokens", "40", "--json"], io),
    ).toBe(0);
    const output = JSON.parse(io.out());
    expect(output.prompt).toEqual({ ids: [1, 403, 407, 261, 378], text: "Once upon a time" });
    expect(output.generated.ids).toHaveLength(40);
    expect(output.generated.text).toBe(
      ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball.",
    );
  });

  it("samples reproducibly with a seed", async () => {
    const first = memoryIO();
    const second = memoryIO();
    const args = [
      "generate",
      "--model",
      stories,
      "Once",
      "--max-new-tokens",
      "12",
      "--temperature",
      "1",
      "--seed",
      "7",
      "--json",
    ];
    expect(await run(args, first)).toBe(0);
    expect(await run(args, second)).toBe(0);
    expect(JSON.parse(first.out()).generated.ids).toEqual(JSON.parse(second.out()).generated.ids);
  });

  it("refuses an empty prompt (3), a missing model (4) and a missing --model (2)", async () => {
    expect(await run(["generate", "--model", stories, ""], memoryIO())).toBe(3);
    const missing = memoryIO();
    expect(await run(["generate", "--model", "/no/such/model", "hi"], missing)).toBe(4);
    expect(missing.err()).toContain("MODEL_LOAD_FAILED");
    expect(await run(["generate", "hi"], memoryIO())).toBe(2);
  });

  it("inspects a model", async () => {
    const io = memoryIO();
    expect(await run(["models", "inspect", stories, "--json"], io)).toBe(0);
    const info = JSON.parse(io.out());
    expect(info).toMatchObject({
      architecture: "llama",
      numLayers: 5,
      hiddenSize: 64,
      numHeads: 8,
      numKeyValueHeads: 4,
      vocabSize: 512,
    });
    expect(info.capabilities).toContain("gradients");
  });
});
