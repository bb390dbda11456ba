import type { TokenscopeError } from "@tokenscope/core";
import { viewOf } from "./binary.ts";

/**
 * Reads little-endian fields of a binary model file in order, from bytes held in memory. Every read
 * checks that its bytes are there, so a truncated or hostile file fails with the format's own error
 * naming the field (`what`), never a RangeError. Formats add their own counts and strings on top
 * (GGUF: u64 counts and strings; CTranslate2: u32 counts, NUL-terminated u16 strings), each checked
 * against {@link FieldReader.remaining} before anything is allocated.
 */
export class FieldReader {
  /** Offset of the next field. */
  offset = 0;
  protected readonly view: DataView;

  /** `malformed(what)` is the format's error for a field that cannot be read. */
  constructor(
    protected readonly bytes: Uint8Array,
    private readonly malformed: (what: string) => TokenscopeError,
  ) {
    this.view = viewOf(bytes);
  }

  /** Bytes left after the offset. */
  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  /** The error for a malformed field. */
  fail(what: string): TokenscopeError {
    return this.malformed(what);
  }

  /** Advances over `length` bytes of `what`, returning where they start; fails past the end. */
  protected take(length: number, what: string): number {
    if (length > this.remaining) {
      throw this.fail(`the file ends at byte ${this.bytes.byteLength}, inside ${what}`);
    }
    const at = this.offset;
    this.offset += length;
    return at;
  }

  /** The next `length` bytes, as a view. */
  raw(length: number, what: string): Uint8Array {
    const at = this.take(length, what);
    return this.bytes.subarray(at, at + length);
  }

  u8(what: string): number {
    return this.view.getUint8(this.take(1, what));
  }

  u16(what: string): number {
    return this.view.getUint16(this.take(2, what), true);
  }

  u32(what: string): number {
    return this.view.getUint32(this.take(4, what), true);
  }

  /** A u64 as a bigint (a count or size to be checked before use). */
  u64(what: string): bigint {
    return this.view.getBigUint64(this.take(8, what), true);
  }
}
