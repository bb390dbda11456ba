import { gitLfsPointerSize, isGitLfsPointer, TokenscopeError } from "@tokenscope/core";

/*
 * Git LFS pointers where model files belong (see `isGitLfsPointer` in core, which also names them
 * where a saved result belongs): the error every reader of model files throws.
 */

/** The `MODEL_LOAD_FAILED` error for a pointer read where `source` (a path) should be. */
export function gitLfsPointerError(source: string, content: Uint8Array | string): TokenscopeError {
  const size = gitLfsPointerSize(content);
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
