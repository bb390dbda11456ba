/*
 * A repository cloned without Git LFS holds, instead of each large file, a short text "pointer":
 *
 *   version https://git-lfs.github.com/spec/v1
 *   oid sha256:4d7a2146...
 *   size 1340000
 *
 * Read as weights, its ASCII bytes make absurd sizes; read as JSON, it is "not valid JSON". Every
 * reader of model files and saved results checks for it first and names it. No Node imports: the
 * browser entries read files too.
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

/** The size in bytes of the real file a pointer names (its `size` line), when it has one. */
export function gitLfsPointerSize(content: Uint8Array | string): number | undefined {
  const text = typeof content === "string" ? content : new TextDecoder().decode(content);
  const match = /^size (\d{1,16})$/m.exec(text);
  return match ? Number(match[1]) : undefined;
}
