import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bundleWithEsbuild, bundleWithVite } from "../../../tooling/test-helpers/browser-bundle.ts";

// `import { load, attribute, renderHeatmap } from "tokenscope"` in a browser app: esbuild and Vite
// pick the browser entry by its export condition, with no alias, plugin or shim.
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const entry =
  'export { attribute, load, registerBuiltins, renderHeatmap, methods, buildDecoderGraph } from "tokenscope";';

describe("tokenscope's browser entry", () => {
  it("bundles with esbuild (platform browser) without a Node module or onnxruntime-node", async () => {
    const bundle = await bundleWithEsbuild(entry, packageDir);
    expect(bundle.nodeImports).toEqual([]);
    expect(bundle.inputs.some((input) => /(^|\/)src\/browser\.ts$/.test(input))).toBe(true);
    expect(
      bundle.inputs.some((input) => /(^|\/)tokenscope\/src\/index\.ts$|^src\/index\.ts$/.test(input)),
    ).toBe(false);
    expect(
      bundle.inputs.filter((input) => /onnxruntime-node|core\/src\/node\.ts|files\.node\.ts/.test(input)),
    ).toEqual([]);
  });

  it("bundles with Vite (library mode) without a Node module left or stubbed", async () => {
    const bundle = await bundleWithVite("src/browser.ts", packageDir);
    expect(bundle.code.length).toBeGreaterThan(0);
    expect(bundle.nodeImports).toEqual([]);
    expect(bundle.stubbedBuiltins, bundle.warnings.join("\n")).toBe(false);
  });
});
