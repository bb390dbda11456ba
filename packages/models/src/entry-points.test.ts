import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { reachableImports } from "../../../tooling/test-helpers/reachable-imports.ts";

const SRC = dirname(fileURLToPath(import.meta.url));

// A fast, static companion of browser-bundle.test.ts: it names the file that brings in a Node module.
describe("entry points", () => {
  it("index.ts reaches no node: module, no Node-only package and no transformers.js", () => {
    const { files, external } = reachableImports(SRC, "index.ts");
    expect(files.size).toBeGreaterThan(50);
    const nodeOnly = [...external].filter(
      ([specifier]) =>
        specifier.startsWith("node:") ||
        ["onnxruntime-node", "@huggingface/hub", "@huggingface/gguf", "@huggingface/transformers"].includes(
          specifier,
        ),
    );
    expect(nodeOnly).toEqual([]);
    expect([...external.keys()]).toContain("@huggingface/tokenizers");
  });

  it("node.ts adds the file loaders", () => {
    const { external } = reachableImports(SRC, "node.ts");
    expect([...external.keys()]).toContain("node:fs/promises");
  });
});
