/**
 * Copies `count` little-endian float32 values starting at `byteOffset`. A copy, not a view: the
 * weights then neither pin the whole file buffer nor depend on its alignment.
 */
export function copyFloat32LE(bytes: Uint8Array, byteOffset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(bytes.subarray(byteOffset, byteOffset + count * 4));
  return out;
}

/** Copies `count` little-endian 16-bit words (fp16 or bf16 bit patterns) starting at `byteOffset`. */
export function copyUint16LE(bytes: Uint8Array, byteOffset: number, count: number): Uint16Array {
  const out = new Uint16Array(count);
  new Uint8Array(out.buffer).set(bytes.subarray(byteOffset, byteOffset + count * 2));
  return out;
}

/** A DataView over exactly the bytes of `bytes` (which may be a window of a larger buffer). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Concatenates byte chunks into one array. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
