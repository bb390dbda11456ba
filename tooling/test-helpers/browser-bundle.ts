/**
 * Bundling an entry point for browsers the way users do — esbuild (platform browser) and Vite
 * (library mode) with no alias, no plugin and no shim, only the export conditions a browser build
 * resolves plus ours (workspace packages resolve to src/) — and reading back what the bundle still
 * imports. Shared by every package whose browser entry is checked.
 */
import { resolve } from "node:path";
import { build as esbuild } from "esbuild";
import { build as viteBuild } from "vite";

/** Export conditions of a browser build of the workspace. */
export const browserConditions = ["@tokenscope/source", "browser"];

/** Modules a browser cannot load: Node built-ins, with or without the `node:` prefix. */
export const nodeBuiltin =
  /^(node:.*|fs|fs\/promises|path|module|worker_threads|url|stream|os|crypto|child_process|zlib|util|events|buffer)$/;

/** Every module specifier the bundle still imports, requires or imports dynamically. */
export function importedSpecifiers(code: string): string[] {
  const pattern =
    /\bfrom\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)|\brequire\s*\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;
  return [...code.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? match[3] ?? match[4]!);
}

/** What a bundler produced: the code, the input files it read, and any Node built-in left in it. */
export interface BrowserBundle {
  code: string;
  inputs: string[];
  nodeImports: string[];
}

/** Bundles `contents` (an ES module, resolved from `dir`) with esbuild for browsers. */
export async function bundleWithEsbuild(contents: string, dir: string): Promise<BrowserBundle> {
  const result = await esbuild({
    stdin: { contents, resolveDir: dir, loader: "ts" },
    bundle: true,
    platform: "browser",
    format: "esm",
    conditions: browserConditions,
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  if (result.errors.length > 0) throw new Error(result.errors.map((error) => error.text).join("\n"));
  const code = result.outputFiles[0]!.text;
  return {
    code,
    inputs: Object.keys(result.metafile.inputs),
    nodeImports: importedSpecifiers(code).filter((specifier) => nodeBuiltin.test(specifier)),
  };
}

/** What Vite produced, plus whether it stubbed a Node built-in (it does so silently but for a warning). */
export interface ViteBundle extends BrowserBundle {
  stubbedBuiltins: boolean;
  warnings: string[];
}

/** Bundles the file `entry` (relative to `dir`) with Vite in library mode for browsers. */
export async function bundleWithVite(entry: string, dir: string): Promise<ViteBundle> {
  const warnings: string[] = [];
  const output = await viteBuild({
    root: dir,
    configFile: false,
    logLevel: "silent",
    mode: "production",
    publicDir: false,
    resolve: { conditions: browserConditions },
    build: {
      lib: { entry: resolve(dir, entry), formats: ["es"], fileName: "index" },
      write: false,
      minify: false,
      reportCompressedSize: false,
      rolldownOptions: { onwarn: (warning) => void warnings.push(warning.message) },
    },
  });
  const chunks = (Array.isArray(output) ? output : [output]).flatMap((result) =>
    "output" in result ? result.output.filter((item) => item.type === "chunk") : [],
  );
  const code = chunks.map((chunk) => chunk.code).join("\n");
  return {
    code,
    inputs: chunks.flatMap((chunk) => chunk.moduleIds),
    nodeImports: importedSpecifiers(code).filter((specifier) => nodeBuiltin.test(specifier)),
    stubbedBuiltins:
      code.includes("__vite-browser-external") ||
      warnings.some((warning) => /externalized for browser compatibility/.test(warning)),
    warnings,
  };
}
