import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Every module specifier reachable from `entry` through relative imports (type-only imports excluded). */
function reachableImports(entry: string): { files: Set<string>; external: Set<string> } {
  const files = new Set<string>();
  const external = new Set<string>();
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
      else external.add(specifier);
    }
  }
  return { files, external };
}

describe("entry points", () => {
  for (const entry of ["index.ts", "web.ts"]) {
    it(`${entry} reaches no node: module and no onnxruntime-node`, () => {
      const { files, external } = reachableImports(entry);
      expect(files.size).toBeGreaterThan(5);
      expect([...external].filter((s) => s.startsWith("node:") || s === "onnxruntime-node")).toEqual([]);
    });
  }

  it("node.ts reaches both runtimes", () => {
    const { external } = reachableImports("node.ts");
    expect(external).toContain("onnxruntime-node");
    expect(external).toContain("onnxruntime-web");
  });
});
