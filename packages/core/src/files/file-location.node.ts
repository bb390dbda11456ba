import { realpath } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { ioError } from "./paths.node.ts";

/*
 * Where a file may be written, judged from its path alone: not a path naming a folder, not on a
 * kernel interface. The file writer checks both before it looks at what is at the path.
 */

/** Refuses a path that cannot name a file whatever is on disk: empty, or naming a folder ("out/", "out/."). */
export function checkPathShape(path: string): void {
  if (path === "") {
    throw ioError(path, "Could not write a file: the path is empty.", "Pass the path of the file to write.");
  }
  const name = basename(path);
  const endsInSeparator = path.endsWith("/") || path.endsWith(sep);
  if (endsInSeparator || name === "." || name === "..") {
    const why = endsInSeparator ? `it ends in "${path.at(-1)}"` : `it ends in "${name}"`;
    const file = endsInSeparator ? path.replace(/[\\/]+$/, "") : "";
    throw ioError(
      path,
      `Could not write ${path}: ${why}, so it names a folder, and tokenscope writes a file there. Nothing was written.`,
      file
        ? `To write the file ${file}, leave out the trailing "${path.at(-1)}"; to write inside that folder, add a file name (${join(file, "result.json")}).`
        : "Pass a file path, for example a new file name inside that folder.",
    );
  }
}

/** Kernel interfaces and device nodes: files there are not files, and a temporary cannot be made beside them. */
const kernelFolders: readonly { folder: string; what: string; hint: string }[] = [
  {
    folder: "/proc",
    what: "/proc, the kernel's process interface",
    hint: "Write the file to an ordinary folder (the current one, or /tmp).",
  },
  {
    folder: "/sys",
    what: "/sys, the kernel's device interface",
    hint: "Write the file to an ordinary folder (the current one, or /tmp).",
  },
  {
    folder: "/dev",
    what: "/dev, the folder of device nodes",
    hint: "To discard the output, leave out --out; to keep a file in memory, write it under /dev/shm.",
  },
];

/** The absolute path with every link resolved, for as much of it as exists. */
async function realLocation(path: string): Promise<string> {
  const absolute = resolve(path);
  try {
    return await realpath(absolute);
  } catch {
    const parent = dirname(absolute);
    return parent === absolute ? absolute : join(await realLocation(parent), basename(absolute));
  }
}

/**
 * Refuses a path whose real location (links resolved, as far as it exists) is on /proc, /sys or
 * /dev, except /dev/shm: kernel interfaces and device nodes, where a file cannot be made or renamed
 * and what looks like a file is not one. Device nodes themselves are refused by kind before this.
 */
export async function checkLocation(given: string, target: string): Promise<void> {
  if (process.platform === "win32") return;
  const location = await realLocation(target);
  if (location === "/dev/shm" || location.startsWith("/dev/shm/")) return;
  for (const { folder, what, hint } of kernelFolders) {
    if (location === folder || location.startsWith(`${folder}/`)) {
      const via = location === resolve(given) ? "" : ` (${location})`;
      throw ioError(
        given,
        `Could not write ${given}${via}: it is on ${what}, not a place for files. Nothing was written.`,
        hint,
      );
    }
  }
}
