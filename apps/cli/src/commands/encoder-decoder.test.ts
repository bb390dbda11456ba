import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const aren = fileURLToPath(new URL("../../../../../shared/models/aren-transliteration", import.meta.url));

describe("tokenscope generate, attribute and models inspect on an encoder-decoder (aren-transliteration)", () => {
  it("prints the source, then the transliteration on its own line", async () => {
    const io = memoryIO();
    expect(await run(["generate", "--model", aren, "آتزمون"], io)).toBe(0);
    expect(io.out()).toBe("آتزمون\natzmon\n");
    expect(io.err()).toContain("7 tokens");
  });

  it("gives source and generated ids as JSON", async () => {
    const io = memoryIO();
    expect(await run(["generate", "--model", aren, "جون", "--json"], io)).toBe(0);
    const output = JSON.parse(io.out());
    expect(output.prompt.ids).toHaveLength(3);
    expect(output.generated).toMatchObject({ text: "jon" });
    expect(output.generated.ids.at(-1)).toBe(2);
  });

  it("inspects it", async () => {
    const io = memoryIO();
    expect(await run(["models", "inspect", aren, "--json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({
      architecture: "transformer",
      encoderDecoder: true,
      capabilities: expect.arrayContaining([
        "tokenize",
        "embed",
        "forward",
        "gradients",
        "generate",
        "taps.attention",
        "interventions.valueZeroing",
      ]),
    });
    const text = memoryIO();
    expect(await run(["models", "inspect", aren], text)).toBe(0);
    expect(text.out()).toContain("transformer (encoder-decoder)");
    // What it cannot do yet, and why, instead of silence.
    expect(text.out()).toMatch(/no gradients\.layer +an encoder-decoder's gradients are taken/);
  });

  it("attribute prints a heatmap whose columns are the source characters and rows the transliteration", async () => {
    const io = memoryIO();
    expect(await run(["attribute", "--model", aren, "آتزمون", "--method", "occlusion"], io), io.err()).toBe(
      0,
    );
    const out = io.out();
    expect(out).toMatch(/│ +آ +ت +ز +م +و +ن │/);
    for (const letter of ["a", "t", "z", "m", "o", "n"])
      expect(out).toMatch(new RegExp(`^${letter} +│`, "m"));
    // Saliency (the default) over encoder and decoder embeddings, and cross-attention, over the same columns.
    const saliency = memoryIO();
    expect(await run(["attribute", "--model", aren, "آتزمون"], saliency), saliency.err()).toBe(0);
    expect(saliency.out()).toMatch(/│ +آ +ت +ز +م +و +ن │/);
    const attention = memoryIO();
    expect(
      await run(["attribute", "--model", aren, "آتزمون", "--method", "attention"], attention),
      attention.err(),
    ).toBe(0);
    expect(attention.out()).toMatch(/│ +آ +ت +ز +م +و +ن │/);
  });
});
