import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import { build as viteBuild } from "vite";
import { describe, expect, it } from "vitest";

// The main entry bundles for browsers as users bundle it: no alias, no plugin, no shim, only the
// export conditions a browser build resolves (plus ours, so that workspace packages resolve to src/).

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const conditions = ["@tokenscope/source", "browser"];

/** Modules a browser cannot load: Node built-ins, with or without the `node:` prefix. */
const nodeBuiltin =
  /^(node:.*|fs|fs\/promises|path|module|worker_threads|url|stream|os|crypto|child_process)$/;

/** Every module specifier the bundle still imports, requires or imports dynamically. */
function importedSpecifiers(code: string): string[] {
  const pattern =
    /\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|\brequire\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;
  return [...code.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? match[3] ?? match[4]!);
}

describe("the main entry in a browser bundle", () => {
  it("bundles with esbuild (platform browser) with no Node module left", async () => {
    const result = await esbuild({
      stdin: { contents: 'export * from "@tokenscope/models";', resolveDir: packageDir, loader: "ts" },
      bundle: true,
      platform: "browser",
      format: "esm",
      conditions,
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    expect(result.errors).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(importedSpecifiers(code).filter((specifier) => nodeBuiltin.test(specifier))).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((input) => input.includes("@huggingface/tokenizers"))).toBe(true);
    expect(inputs.some((input) => input.includes("@huggingface/jinja"))).toBe(true);
    expect(
      inputs.filter((input) =>
        /\bnode_modules\/(@huggingface\/(gguf|transformers)|onnxruntime-node)\//.test(input),
      ),
    ).toEqual([]);
  });

  it("bundles with Vite (library mode) with no Node module left or stubbed", async () => {
    const warnings: string[] = [];
    const output = await viteBuild({
      root: packageDir,
      configFile: false,
      logLevel: "silent",
      mode: "production",
      publicDir: false,
      resolve: { conditions },
      build: {
        lib: { entry: resolve(packageDir, "src/index.ts"), formats: ["es"], fileName: "index" },
        write: false,
        minify: false,
        reportCompressedSize: false,
        rolldownOptions: { onwarn: (warning) => void warnings.push(warning.message) },
      },
    });
    const chunks = (Array.isArray(output) ? output : [output]).flatMap((result) =>
      "output" in result ? result.output.filter((item) => item.type === "chunk") : [],
    );
    expect(chunks.length).toBeGreaterThan(0);
    const code = chunks.map((chunk) => chunk.code).join("\n");
    expect(importedSpecifiers(code).filter((specifier) => nodeBuiltin.test(specifier))).toEqual([]);
    // Vite replaces a Node built-in it meets in a browser build by an empty stub, with a warning.
    expect(code.includes("__vite-browser-external"), "Vite stubbed a Node built-in").toBe(false);
    expect(warnings.filter((warning) => /externalized for browser compatibility/.test(warning))).toEqual([]);
    const modules = chunks.flatMap((chunk) => chunk.moduleIds);
    expect(modules.some((id) => id.includes("@huggingface/tokenizers"))).toBe(true);
  });
});
