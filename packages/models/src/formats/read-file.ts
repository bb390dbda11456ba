import { closeSync, openSync, readSync } from "node:fs";
import { stat } from "node:fs/promises";
import { isTokenscopeError, TokenscopeError } from "@tokenscope/core";
import { readFileBounded } from "@tokenscope/core/node";
import { assertNotGitLfsPointer } from "./lfs-pointer.ts";
import { bytesInMemory, type RandomAccessBytes } from "./safetensors/read.ts";

/*
 * File reads of the Node loaders, through core's bounded reader: regular files only (a device or
 * FIFO named like a model file is refused instead of read forever), metadata within
 * `limits.metadataFileBytes`. Kept apart from the byte-level readers, which also run in browsers.
 */

/**
 * Reads a whole weights or tokenizer file whose size its format states (llama2.c, GGUF,
 * safetensors): any regular file up to the largest Node.js buffer.
 * @throws TokenscopeError IO_ERROR naming the path (missing, unreadable, not a regular file).
 */
export async function readFileBytes(path: string): Promise<Uint8Array> {
  const bytes = await readFileBounded(path, {
    what: "model file",
    missingHint: "Check the path; the file does not exist.",
  });
  // A clone without `git lfs pull` holds 130-byte pointers where the weights belong.
  assertNotGitLfsPointer(bytes, path);
  return bytes;
}

/**
 * Reads a model's metadata file (config.json, tokenizer.json, tokenizer_config.json,
 * generation_config.json, a safetensors index, a chat template): at most
 * `limits.metadataFileBytes`, as UTF-8 text.
 * @throws TokenscopeError IO_ERROR (unreadable, not a regular file), INVALID_INPUT (too large).
 */
export async function readMetadataBytes(path: string): Promise<Uint8Array> {
  const bytes = await readFileBounded(path, {
    what: "model metadata file",
    fileBytes: { limit: "metadataFileBytes" },
    raiseHint: "No published model has metadata this large: the file is damaged or not what its name says.",
  });
  assertNotGitLfsPointer(bytes, path);
  return bytes;
}

/** {@link readMetadataBytes}, or undefined when the file (or its folder) does not exist. */
export async function readOptionalMetadataBytes(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readMetadataBytes(path);
  } catch (error) {
    const code = isTokenscopeError(error, "IO_ERROR") ? error.details["code"] : undefined;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw error;
  }
}

/** {@link readMetadataBytes} as text, or undefined when the file (or its folder) does not exist. */
export async function readOptionalMetadataText(path: string): Promise<string | undefined> {
  const bytes = await readOptionalMetadataBytes(path);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}

/** Files below this are read whole (a Git LFS pointer among them, refused by {@link readFileBytes}). */
const RANDOM_ACCESS_FROM_BYTES = 64 * 1024;

/**
 * A weights file opened for reading in pieces: each read opens the file, reads the range and closes
 * it, so nothing stays open after the tensors are converted. Small or irregular files go through
 * {@link readFileBytes} (its checks and errors) and are held whole.
 * @throws TokenscopeError IO_ERROR as readFileBytes; a read past the end (the file shrank) is IO_ERROR too.
 */
export async function openFileRandomAccess(path: string): Promise<RandomAccessBytes> {
  let size: number | undefined;
  try {
    const stats = await stat(path);
    if (stats.isFile() && stats.size >= RANDOM_ACCESS_FROM_BYTES) size = stats.size;
  } catch {
    size = undefined;
  }
  if (size === undefined) return bytesInMemory(await readFileBytes(path));
  return {
    size,
    read(offset, length) {
      const bytes = new Uint8Array(length);
      const fd = openSync(path, "r");
      try {
        let done = 0;
        while (done < length) {
          const got = readSync(fd, bytes, done, length - done, offset + done);
          if (got === 0) {
            throw new TokenscopeError(
              "IO_ERROR",
              `${path} ended at byte ${offset + done} while its bytes ${offset}..${offset + length} were read.`,
              { hint: "The file changed while the model loaded; load it again.", details: { path } },
            );
          }
          done += got;
        }
      } finally {
        closeSync(fd);
      }
      return bytes;
    },
  };
}
