/**
 * Which modules an entry point reaches through its relative imports (type-only imports excluded): a
 * fast, static check that an entry meant for browsers reaches no `node:` module, naming the file that
 * brings one in. Shared by every package with such an entry.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The files reached, and each external specifier with the first file (relative to `root`) importing it. */
export interface ReachableImports {
  files: Set<string>;
  external: Map<string, string>;
}

/** Every module reachable from `entry` (relative to `root`, the package's src folder). */
export function reachableImports(root: string, entry: string): ReachableImports {
  const files = new Set<string>();
  const external = new Map<string, string>();
  const pending = [resolve(root, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, "utf8");
    const pattern = /^\s*(import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"|import\(\s*"([^"]+)"\s*\)/gm;
    for (const match of source.matchAll(pattern)) {
      const specifier = match[2] ?? match[3]!;
      if (specifier.startsWith(".")) pending.push(join(dirname(file), specifier));
      else if (!external.has(specifier)) external.set(specifier, file.slice(root.length + 1));
    }
  }
  return { files, external };
}
