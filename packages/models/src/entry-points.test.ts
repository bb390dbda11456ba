import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = dirname(fileURLToPath(import.meta.url));

/** Every module specifier reachable from `entry` through relative imports (type-only imports excluded). */
function reachableImports(entry: string): { files: Set<string>; external: Map<string, string> } {
  const files = new Set<string>();
  /** External specifier → the first file that imports it. */
  const external = new Map<string, string>();
  const pending = [resolve(SRC, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, "utf8");
    const pattern = /^\s*(import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/gm;
    for (const match of source.matchAll(pattern)) {
      const specifier = match[2] ?? match[3]!;
      if (specifier.startsWith(".")) pending.push(join(dirname(file), specifier));
      else if (!external.has(specifier)) external.set(specifier, file.slice(SRC.length + 1));
    }
  }
  return { files, external };
}

// A fast, static companion of browser-bundle.test.ts: it names the file that brings in a Node module.
describe("entry points", () => {
  it("index.ts reaches no node: module, no Node-only package and no transformers.js", () => {
    const { files, external } = reachableImports("index.ts");
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
    const { external } = reachableImports("node.ts");
    expect([...external.keys()]).toContain("node:fs/promises");
  });
});
