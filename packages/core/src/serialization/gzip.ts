import { gzipSync, Inflate } from "fflate";

/** True when `bytes` start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gzips `bytes` (synchronously, in Node and in browsers). */
export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 6, mtime: 0 });
}

/** Bounds of {@link gunzip}'s output, checked while inflating. */
export interface GunzipBounds {
  /** The most bytes the output may have. */
  maxBytes?: number;
  /** Refuse output past `floorBytes` that is more than `maxRatio` times the input. */
  ratioGuard?: { floorBytes: number; maxRatio: number };
}

/** Input fed to the inflater per push: output is checked after each, so a bomb stops early. */
const INPUT_CHUNK_BYTES = 64 * 1024;

/**
 * Gunzips one gzip member and checks its CRC-32 and length, stopping as soon as the output passes
 * `bounds` (so a decompression bomb costs at most the bound). Throws a plain Error saying what is
 * wrong, with `tooLarge: true` for an output past its bounds. fflate's gunzipSync is not used
 * because it sizes its output from the last four bytes, which in a truncated file are garbage (a
 * huge allocation or a silently short output), and it skips the CRC.
 */
export function gunzip(bytes: Uint8Array, bounds: GunzipBounds = {}): Uint8Array {
  const start = headerLength(bytes);
  if (bytes.length < start + 8) throw new Error("the gzip data is truncated");
  const body = bytes.subarray(start, bytes.length - 8);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((chunk) => {
    total += chunk.length;
    checkBounds(total, bytes.length, bounds);
    chunks.push(chunk);
  });
  try {
    for (let offset = 0; offset < body.length; offset += INPUT_CHUNK_BYTES) {
      const end = Math.min(body.length, offset + INPUT_CHUNK_BYTES);
      inflater.push(body.subarray(offset, end), end === body.length);
    }
    if (body.length === 0) inflater.push(body, true);
  } catch (error) {
    if ((error as { tooLarge?: boolean }).tooLarge) throw error;
    throw new Error(`the gzip data is truncated or damaged (${(error as Error).message})`);
  }
  const inflated = concat(chunks, total);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expectedCrc = view.getUint32(bytes.length - 8, true);
  const expectedLength = view.getUint32(bytes.length - 4, true);
  if (expectedLength !== inflated.length >>> 0 || expectedCrc !== crc32(inflated)) {
    throw new Error("the gzip data is truncated or damaged (checksum mismatch)");
  }
  return inflated;
}

function checkBounds(total: number, compressed: number, bounds: GunzipBounds): void {
  const { maxBytes, ratioGuard } = bounds;
  let problem: string | undefined;
  if (maxBytes !== undefined && total > maxBytes) problem = `it expands past the limit of ${maxBytes} bytes`;
  else if (ratioGuard && total > ratioGuard.floorBytes && total > ratioGuard.maxRatio * compressed)
    problem = `it expands more than ${ratioGuard.maxRatio} times (past ${total} bytes from ${compressed}): a decompression bomb`;
  if (problem) throw Object.assign(new Error(problem), { tooLarge: true });
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** Length of the gzip member header (RFC 1952 section 2.3), with its optional fields. */
function headerLength(bytes: Uint8Array): number {
  if (!isGzip(bytes) || bytes.length < 10) throw new Error("the gzip data is truncated");
  if (bytes[2] !== 8) throw new Error(`the gzip data uses unknown compression method ${bytes[2]}`);
  const flags = bytes[3]!;
  let position = 10;
  if (flags & 4) position += 2 + (bytes[10]! | (bytes[11]! << 8));
  for (const flag of [8, 16]) {
    if (!(flags & flag)) continue;
    while (position < bytes.length && bytes[position] !== 0) position++;
    position++;
  }
  if (flags & 2) position += 2;
  return position;
}

const crcTable: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let value = byte;
    for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
    table[byte] = value >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3, as gzip uses) of `bytes`. */
export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let index = 0; index < bytes.length; index++)
    crc = crcTable[(crc ^ bytes[index]!) & 255]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
