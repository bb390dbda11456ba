import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { reachableImports } from "../../../../tooling/test-helpers/reachable-imports.ts";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "..");

describe("entry points", () => {
  for (const entry of ["index.ts", "web.ts"]) {
    it(`${entry} reaches no node: module and no onnxruntime-node`, () => {
      const { files, external } = reachableImports(SRC, entry);
      expect(files.size).toBeGreaterThan(5);
      expect([...external.keys()].filter((s) => s.startsWith("node:") || s === "onnxruntime-node")).toEqual(
        [],
      );
    });
  }

  it("node.ts reaches both runtimes", () => {
    const { external } = reachableImports(SRC, "node.ts");
    expect([...external.keys()]).toContain("onnxruntime-node");
    expect([...external.keys()]).toContain("onnxruntime-web");
  });
});
