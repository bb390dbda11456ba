import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bundleWithEsbuild, bundleWithVite } from "../../../tooling/test-helpers/browser-bundle.ts";

// The main entry bundles for browsers as users bundle it: no alias, no plugin, no shim.
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");

describe("the main entry in a browser bundle", () => {
  it("bundles with esbuild (platform browser) with no Node module left", async () => {
    const bundle = await bundleWithEsbuild('export * from "@tokenscope/models";', packageDir);
    expect(bundle.nodeImports).toEqual([]);
    expect(bundle.inputs.some((input) => input.includes("@huggingface/tokenizers"))).toBe(true);
    expect(bundle.inputs.some((input) => input.includes("@huggingface/jinja"))).toBe(true);
    expect(
      bundle.inputs.filter((input) =>
        /\bnode_modules\/(@huggingface\/(gguf|transformers)|onnxruntime-node)\//.test(input),
      ),
    ).toEqual([]);
  });

  it("bundles with Vite (library mode) with no Node module left or stubbed", async () => {
    const bundle = await bundleWithVite("src/index.ts", packageDir);
    expect(bundle.code.length).toBeGreaterThan(0);
    expect(bundle.nodeImports).toEqual([]);
    expect(bundle.stubbedBuiltins, bundle.warnings.join("\n")).toBe(false);
    expect(bundle.inputs.some((id) => id.includes("@huggingface/tokenizers"))).toBe(true);
  });
});
