import { FieldReader } from "../field-reader.ts";
import {
  type GgufMetadataValue,
  type GgufValueType,
  ggufValueTypes,
  isGgufValueType,
  malformedGguf,
  minValueBytes,
} from "./format.ts";

/** Arrays of arrays deeper than this are refused: real files nest none, and recursion must end. */
const MAX_ARRAY_DEPTH = 8;

/** One decoder for every string: GGUF strings are UTF-8 (invalid bytes become U+FFFD, as in llama.cpp's tools). */
const utf8 = new TextDecoder();

/**
 * Reads little-endian GGUF fields in order from bytes held in memory. Every read checks the bytes
 * are there, and every declared length or count is checked against the bytes left before anything
 * is allocated, so a damaged or hostile file fails with a `MODEL_LOAD_FAILED` naming the field
 * (`what`), never with a RangeError or gigabytes of arrays.
 */
export class GgufByteReader extends FieldReader {
  constructor(bytes: Uint8Array, source: string) {
    super(bytes, (what) => malformedGguf(source, what));
  }

  /**
   * A u64 count of items that take at least `minItemBytes` each: fails unless the bytes left can
   * hold that many, so the count is then safe to loop over or allocate for.
   */
  count(what: string, minItemBytes: number): number {
    const declared = this.u64(what);
    if (declared * BigInt(minItemBytes) > BigInt(this.remaining)) {
      throw this.fail(
        `${what} is ${declared}, but the ${this.remaining} bytes left hold at most ${Math.floor(this.remaining / minItemBytes)}`,
      );
    }
    return Number(declared);
  }

  /** A u64 that must be a safe integer (an offset or a dimension). */
  safeU64(what: string): number {
    const value = this.u64(what);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${what} is ${value}, beyond 2^53`);
    return Number(value);
  }

  /** A string: u64 byte length, then UTF-8. */
  string(what: string): string {
    const length = this.u64(`the length of ${what}`);
    if (length > BigInt(this.remaining)) {
      throw this.fail(
        `${what} is ${length} bytes long, past the end of the file (${this.remaining} bytes left)`,
      );
    }
    return utf8.decode(this.raw(Number(length), what));
  }

  /** A u32 value type id. */
  valueType(what: string): GgufValueType {
    const id = this.u32(what);
    if (!isGgufValueType(id)) throw this.fail(`${what} is ${id}, which is no GGUF value type`);
    return id;
  }

  /** One metadata value of `type`; `what` names it in errors ("the value of general.name"). */
  value(type: GgufValueType, what: string, depth = 0): GgufMetadataValue {
    const view = this.view;
    switch (type) {
      case ggufValueTypes.UINT8:
        return view.getUint8(this.take(1, what));
      case ggufValueTypes.INT8:
        return view.getInt8(this.take(1, what));
      case ggufValueTypes.UINT16:
        return view.getUint16(this.take(2, what), true);
      case ggufValueTypes.INT16:
        return view.getInt16(this.take(2, what), true);
      case ggufValueTypes.UINT32:
        return view.getUint32(this.take(4, what), true);
      case ggufValueTypes.INT32:
        return view.getInt32(this.take(4, what), true);
      case ggufValueTypes.FLOAT32:
        return view.getFloat32(this.take(4, what), true);
      case ggufValueTypes.BOOL:
        return view.getUint8(this.take(1, what)) !== 0;
      case ggufValueTypes.STRING:
        return this.string(what);
      case ggufValueTypes.UINT64:
        return view.getBigUint64(this.take(8, what), true);
      case ggufValueTypes.INT64:
        return view.getBigInt64(this.take(8, what), true);
      case ggufValueTypes.FLOAT64:
        return view.getFloat64(this.take(8, what), true);
      case ggufValueTypes.ARRAY:
        return this.array(what, depth);
    }
  }

  private array(what: string, depth: number): GgufMetadataValue[] {
    if (depth >= MAX_ARRAY_DEPTH) throw this.fail(`${what} nests arrays more than ${MAX_ARRAY_DEPTH} deep`);
    const elementType = this.valueType(`the element type of ${what}`);
    const length = this.count(`the length of ${what}`, minValueBytes(elementType));
    // One label for every element: vocabularies have 10^5 of them.
    const element = `an element of ${what}`;
    const values: GgufMetadataValue[] = new Array(length);
    for (let index = 0; index < length; index++) values[index] = this.value(elementType, element, depth + 1);
    return values;
  }
}
