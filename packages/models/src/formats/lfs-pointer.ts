import { TokenscopeError } from "@tokenscope/core";

/*
 * A repository cloned without Git LFS holds, instead of each large file, a short text "pointer":
 *
 *   version https://git-lfs.github.com/spec/v1
 *   oid sha256:4d7a2146...
 *   size 1340000
 *
 * Read as weights, its ASCII bytes make absurd sizes ("headDim must be a positive integer, got
 * 2.4467"); read as JSON, it is "not valid JSON". Every reader of model files checks for it first
 * and names it.
 */

const POINTER_START = "version https://git-lfs.github.com/spec/v1";
const POINTER_BYTES = new TextEncoder().encode(POINTER_START);
/** Pointer files are small (the spec reads at most 1024 bytes of one); a longer file is not one. */
const MAX_POINTER_BYTES = 1024;

/** True when `content` (bytes or text) is a Git LFS pointer file rather than the file it points to. */
export function isGitLfsPointer(content: Uint8Array | string): boolean {
  if (typeof content === "string") {
    return content.length <= MAX_POINTER_BYTES && content.startsWith(POINTER_START);
  }
  if (content.byteLength > MAX_POINTER_BYTES || content.byteLength < POINTER_BYTES.byteLength) return false;
  return POINTER_BYTES.every((byte, index) => content[index] === byte);
}

/** The size of the real file a pointer names (its `size` line), when it has one. */
function pointedSize(content: Uint8Array | string): number | undefined {
  const text = typeof content === "string" ? content : new TextDecoder().decode(content);
  const match = /^size (\d{1,16})$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The `MODEL_LOAD_FAILED` error for a pointer read where `source` (a path) should be. */
export function gitLfsPointerError(source: string, content: Uint8Array | string): TokenscopeError {
  const size = pointedSize(content);
  const real = size !== undefined ? ` (the real file has ${size.toLocaleString("en-US")} bytes)` : "";
  return new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `${source} is a Git LFS pointer, not the file: run git lfs pull${real}.`,
    {
      hint: "The model was cloned without Git LFS: install it (git lfs install) and run git lfs pull in the clone, or load the model by its hub id instead.",
      details: { source, gitLfsPointer: true, ...(size !== undefined ? { size } : {}) },
    },
  );
}

/** Throws {@link gitLfsPointerError} when `content` read from `source` is a Git LFS pointer. */
export function assertNotGitLfsPointer(content: Uint8Array | string, source: string): void {
  if (isGitLfsPointer(content)) throw gitLfsPointerError(source, content);
}
