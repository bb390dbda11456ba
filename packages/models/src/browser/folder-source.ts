import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { isTokenscopeError } from "@tokenscope/core";
import { openFileRandomAccess, readFileBytes, readOptionalMetadataBytes } from "../formats/read-file.ts";
import { isMetadataFile, type ModelFileSource } from "./file-source.ts";

/*
 * Node only (reached from the Node loaders, never from the main entry): a model folder on disk as a
 * ModelFileSource, so that `loadHfFolder` and the other folder loaders run the same source-based
 * readers as the browser. Reads stay those of the Node loaders: bounded metadata, regular files,
 * Git LFS pointers refused.
 */

/** Sub-folders a model folder has (onnx/, a shard folder); deeper trees are not model folders. */
const MAX_LIST_DEPTH = 3;

function missing(error: unknown): boolean {
  const code = isTokenscopeError(error, "IO_ERROR") ? error.details["code"] : undefined;
  return code === "ENOENT" || code === "ENOTDIR";
}

/** The files of `folder` (relative, "/"-separated; hidden entries skipped). */
async function listFolder(folder: string, prefix = "", depth = 0): Promise<string[]> {
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(join(folder, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith(".")) continue;
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      if (depth + 1 < MAX_LIST_DEPTH) names.push(...(await listFolder(folder, path, depth + 1)));
    } else names.push(path);
  }
  return names.sort();
}

/**
 * A folder on disk as a {@link ModelFileSource} whose id is the folder: metadata files (.json,
 * .jinja, .txt, .spm) are read within `limits.metadataFileBytes`, weights whole, or in pieces
 * through `readRandomAccess` (safetensors).
 */
export function folderSource(folder: string): ModelFileSource {
  return {
    id: folder,
    list: () => listFolder(folder),
    async read(path) {
      const full = join(folder, ...path.split("/"));
      if (isMetadataFile(path)) return readOptionalMetadataBytes(full);
      try {
        return await readFileBytes(full);
      } catch (error) {
        if (missing(error)) return undefined;
        throw error;
      }
    },
    async readRandomAccess(path) {
      if (isMetadataFile(path)) return undefined;
      try {
        return await openFileRandomAccess(join(folder, ...path.split("/")));
      } catch (error) {
        if (missing(error)) return undefined;
        throw error;
      }
    },
  };
}
