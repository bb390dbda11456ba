import { cp, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  installedCopies,
  npmInstall,
  packAll,
  runIn,
  sizeOf,
  withWorkspaceDependencies,
  workspacePackages,
  workspaceRoot,
} from "./pack.ts";

// What a user gets: `npm install tokenscope` (and single packages) on a machine that reaches only
// the npm registry, exactly as the README says, then a short script that loads stories260K and
// attributes. Our own packages come from `pnpm pack` tarballs; everything else from the registry.
const stories = join(workspaceRoot, "..", "shared", "models", "stories260K");
const env = { STORIES260K: stories };
const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;

let work: string;
let tarballs: Map<string, string>;
let packages: Map<string, string>;
const sizes: Record<string, number> = {};

async function tarballsFor(names: string[]): Promise<string[]> {
  return (await withWorkspaceDependencies(names, packages)).map((name) => tarballs.get(name)!);
}

async function project(name: string, script?: string): Promise<string> {
  const folder = join(work, name);
  await mkdir(folder, { recursive: true });
  if (script) await cp(join(import.meta.dirname, "scripts", script), join(folder, script));
  return folder;
}

/** The JSON line a script prints last. */
function lastJson(stdout: string) {
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "tokenscope-packed-install-"));
  await mkdir(join(work, "packs"));
  packages = await workspacePackages();
  for (const [name, folder] of packages) {
    // A tarball without dist would install and then fail to import: say what is missing instead.
    await stat(join(folder, "dist")).catch(() => {
      throw new Error(`${name} has no dist/: run \`pnpm build\` first (turbo's test:slow depends on build)`);
    });
  }
  tarballs = await packAll(join(work, "packs"));
});

afterAll(async () => {
  console.log(
    `installed sizes (node_modules): ${Object.entries(sizes)
      .map(([set, bytes]) => `${set} ${megabytes(bytes)}`)
      .join(", ")}`,
  );
  await rm(work, { recursive: true, force: true });
});

describe("npm install of the packed packages into an empty folder", () => {
  it("tokenscope installs without downloading anything but npm packages, and attributes on onnxruntime-web until onnxruntime-node is added", async () => {
    const folder = await project("umbrella", "umbrella.mjs");
    await npmInstall(folder, await tarballsFor(["tokenscope"]));
    const nodeModules = join(folder, "node_modules");
    sizes["tokenscope"] = await sizeOf(nodeModules);
    // No package that downloads at install time, nothing transformers.js pulled in, one onnxruntime-web.
    expect(await installedCopies(nodeModules, "onnxruntime-node")).toEqual([]);
    expect(await installedCopies(nodeModules, "@huggingface/transformers")).toEqual([]);
    expect(await installedCopies(nodeModules, "sharp")).toEqual([]);
    expect(await installedCopies(nodeModules, "onnxruntime-web")).toHaveLength(1);

    // The issue's own check: the umbrella's one import finds every package's entry points.
    const names = await runIn(folder, process.execPath, [
      "-e",
      'import("tokenscope").then((t) => console.log(JSON.stringify(["loadModel", "attribute", "renderHeatmap", "load"].map((name) => typeof t[name]))))',
    ]);
    expect(JSON.parse(names)).toEqual(["function", "function", "function", "function"]);

    const onWasm = lastJson(await runIn(folder, process.execPath, ["umbrella.mjs"], env));
    expect(onWasm.text).toBe(", there was a little g");
    expect(onWasm.execution).toMatchObject({ runtime: "onnxruntime-web", device: "wasm" });
    expect(onWasm.execution.notes[0]).toContain(
      "ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0",
    );

    // The README's opt-in to native kernels: its install script skipped (it would fetch CUDA files).
    await npmInstall(folder, ["onnxruntime-node@1.30.0"], { ONNXRUNTIME_NODE_INSTALL: "skip" });
    sizes["tokenscope + onnxruntime-node"] = await sizeOf(nodeModules);
    const native = lastJson(await runIn(folder, process.execPath, ["umbrella.mjs"], env));
    expect(native.text).toBe(onWasm.text);
    expect(native.execution).toEqual({ runtime: "onnxruntime-node", device: "cpu", notes: [] });

    // The command line, installed beside it.
    await npmInstall(folder, await tarballsFor(["@tokenscope/cli"]));
    const printed = await runIn(folder, join(nodeModules, ".bin", "tokenscope"), [
      "attribute",
      "--model",
      stories,
      "Once upon a time",
      "--max-new-tokens",
      "4",
    ]);
    expect(printed).toContain("saliency(abs=true)");
    expect(printed).toContain("<s>");
  });

  it("core + methods-perturbation + models alone install and attribute, without the umbrella", async () => {
    const folder = await project("parts", "parts.mjs");
    await npmInstall(
      folder,
      await tarballsFor(["@tokenscope/core", "@tokenscope/methods-perturbation", "@tokenscope/models"]),
    );
    const nodeModules = join(folder, "node_modules");
    sizes["core + methods-perturbation + models"] = await sizeOf(nodeModules);
    expect(await installedCopies(nodeModules, "tokenscope")).toEqual([]);
    expect(await installedCopies(nodeModules, "@tokenscope/methods-gradient")).toEqual([]);
    const printed = lastJson(await runIn(folder, process.execPath, ["parts.mjs"], env));
    expect(printed.text).toBe(", there was");
    expect(printed.cells).toBeGreaterThan(0);
  });
});
