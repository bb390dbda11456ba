import { gzipSync, inflateSync } from "fflate";

/** True when `bytes` start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gzips `bytes` (synchronously, in Node and in browsers). */
export function gzip(bytes: Uint8Array): Uint8Array {
  return gzipSync(bytes, { level: 6, mtime: 0 });
}

/**
 * Gunzips one gzip member and checks its CRC-32 and length. Throws a plain
 * Error saying what is wrong. fflate's gunzipSync is not used because it sizes
 * its output from the last four bytes, which in a truncated file are garbage
 * (a huge allocation or a silently short output), and it skips the CRC.
 */
export function gunzip(bytes: Uint8Array): Uint8Array {
  const start = headerLength(bytes);
  if (bytes.length < start + 8) throw new Error("the gzip data is truncated");
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(bytes.subarray(start, bytes.length - 8));
  } catch (error) {
    throw new Error(`the gzip data is truncated or damaged (${(error as Error).message})`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const expectedCrc = view.getUint32(bytes.length - 8, true);
  const expectedLength = view.getUint32(bytes.length - 4, true);
  if (expectedLength !== inflated.length >>> 0 || expectedCrc !== crc32(inflated)) {
    throw new Error("the gzip data is truncated or damaged (checksum mismatch)");
  }
  return inflated;
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
