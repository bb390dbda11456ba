/**
 * Packing the workspace and installing the tarballs as a user would: `pnpm pack` per package (it
 * rewrites workspace:* to real versions, as publishing does), then plain npm in an empty folder,
 * with the tarballs standing in for the registry's copies of our packages.
 */
import { execFile } from "node:child_process";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The workspace root (this package is tooling/packed-install). */
export const workspaceRoot = resolve(import.meta.dirname, "../../..");

/** Publishable packages by name → folder. */
export async function workspacePackages(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const group of ["packages", "apps"]) {
    for (const entry of await readdir(join(workspaceRoot, group))) {
      const folder = join(workspaceRoot, group, entry);
      const manifest = JSON.parse(await readFile(join(folder, "package.json"), "utf8"));
      if (!manifest.private) found.set(manifest.name, folder);
    }
  }
  return found;
}

/** `names` and every workspace package they depend on (dependencies, not devDependencies). */
export async function withWorkspaceDependencies(names: string[], packages: Map<string, string>) {
  const closure = new Set<string>();
  const visit = async (name: string): Promise<void> => {
    if (closure.has(name)) return;
    closure.add(name);
    const manifest = JSON.parse(await readFile(join(packages.get(name)!, "package.json"), "utf8"));
    for (const dependency of Object.keys(manifest.dependencies ?? {})) {
      if (packages.has(dependency)) await visit(dependency);
    }
  };
  for (const name of names) await visit(name);
  return [...closure];
}

/** Packs every publishable package into `destination`; returns name → tarball path. */
export async function packAll(destination: string): Promise<Map<string, string>> {
  const tarballs = new Map<string, string>();
  for (const [name, folder] of await workspacePackages()) {
    const before = new Set(await readdir(destination));
    await run("pnpm", ["pack", "--pack-destination", destination], { cwd: folder, env: cleanEnv() });
    const made = (await readdir(destination)).filter((file) => !before.has(file));
    if (made.length !== 1) throw new Error(`pnpm pack in ${folder} made ${made.length} files`);
    tarballs.set(name, join(destination, made[0]!));
  }
  return tarballs;
}

/**
 * The environment of a user's shell: no npm_* / pnpm settings leaking from the runner that started
 * this test (pnpm passes its config to scripts as npm_config_* variables), no update checks.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_|PNPM_)/i.test(key)) env[key] = value;
  }
  return { ...env, NO_UPDATE_NOTIFIER: "1", npm_config_update_notifier: "false", ...extra };
}

/** `npm install` of `specs` in `folder` (created as an empty module project when new). */
export async function npmInstall(folder: string, specs: string[], env: Record<string, string> = {}) {
  try {
    await stat(join(folder, "package.json"));
  } catch {
    await writeFile(
      join(folder, "package.json"),
      `${JSON.stringify({ name: "user-project", private: true, type: "module" })}\n`,
    );
  }
  return run("npm", ["install", "--no-audit", "--no-fund", ...specs], {
    cwd: folder,
    env: cleanEnv(env),
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs `node <script>` (or a program) in `folder` and returns stdout; fails with its stderr. */
export async function runIn(
  folder: string,
  program: string,
  args: string[],
  env: Record<string, string> = {},
) {
  const { stdout } = await run(program, args, {
    cwd: folder,
    env: cleanEnv(env),
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** Bytes under `path`, files only (what `du --apparent-size` counts), symlinks not followed. */
export async function sizeOf(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isDirectory()) return info.size;
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    total += await sizeOf(join(path, entry.name));
  }
  return total;
}

/** Installed package folders under node_modules named `name` (nested copies included). */
export async function installedCopies(nodeModules: string, name: string): Promise<string[]> {
  const copies: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    let entries: string[];
    try {
      entries = await readdir(folder);
    } catch {
      return;
    }
    for (const entry of entries) {
      const scoped = entry.startsWith("@");
      const children = scoped
        ? (await readdir(join(folder, entry))).map((child) => `${entry}/${child}`)
        : [entry];
      for (const child of children) {
        const path = join(folder, child);
        if (child === name) copies.push(path);
        await walk(join(path, "node_modules"));
      }
    }
  };
  await walk(nodeModules);
  return copies;
}
