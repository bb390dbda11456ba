import { quoteForMessage, TokenscopeError } from "@tokenscope/core";
import { FieldReader } from "../field-reader.ts";
import { bytesToFloat32 } from "../safetensors/dtypes.ts";

/**
 * CTranslate2's variable types, by the type id a version ≥ 4 file writes (the order of the C++
 * `DataType` enum). Files of versions 2 and 3 write an item size instead, which CTranslate2 maps
 * 4 → float32, 2 → int16, 1 → int8.
 */
export const ctranslate2Dtypes = ["float32", "int8", "int16", "int32", "float16", "bfloat16"] as const;

/** One of {@link ctranslate2Dtypes}. */
export type CTranslate2Dtype = (typeof ctranslate2Dtypes)[number];

/** Bytes per element of each type. */
export const ctranslate2DtypeBytes: Readonly<Record<CTranslate2Dtype, number>> = {
  float32: 4,
  int8: 1,
  int16: 2,
  int32: 4,
  float16: 2,
  bfloat16: 2,
};

/** One named variable of a `model.bin`: its raw little-endian bytes, a view into the file. */
export interface CTranslate2Variable {
  dtype: CTranslate2Dtype;
  dims: number[];
  bytes: Uint8Array;
}

/** A parsed `model.bin`: header, variables in file order, aliases (alias → variable name). */
export interface CTranslate2Model {
  binaryVersion: number;
  /** Spec name (`TransformerBase`, `TransformerSpec`, ...). */
  spec: string;
  /** Revision of the spec the file was written for. */
  revision: number;
  variables: Map<string, CTranslate2Variable>;
  /** Variables stored once under another name (version ≥ 3); empty before. */
  aliases: Map<string, string>;
}

/** Options of {@link readCTranslate2Model}. */
export interface CTranslate2ReadOptions {
  /** Name of the file, used in error messages. */
  source?: string;
}

/** Binary versions this reader knows the layout of (CTranslate2 4.x writes 6). */
export const CTRANSLATE2_BINARY_VERSIONS = { min: 2, max: 6 } as const;

/** More dimensions than this are refused (real variables have at most 3; the field is one byte). */
const MAX_RANK = 8;

const utf8 = new TextDecoder("utf-8", { fatal: true });

function malformed(source: string, what: string): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
    hint: "The file is damaged or is not a CTranslate2 model.bin; convert or download the model again.",
    details: { source },
  });
}

/** CTranslate2's fields on the shared bounded reader: u32 counts, NUL-terminated u16 strings. */
class Ctranslate2FieldReader extends FieldReader {
  constructor(bytes: Uint8Array, source: string) {
    super(bytes, (what) => malformed(source, what));
  }

  /** A u32 count of items of at least `minItemBytes` each; fails unless the bytes left can hold them. */
  count(what: string, minItemBytes: number): number {
    const declared = this.u32(what);
    if (declared * minItemBytes > this.remaining) {
      throw this.fail(
        `${what} is ${declared}, but the ${this.remaining} bytes left hold at most ${Math.floor(this.remaining / minItemBytes)}`,
      );
    }
    return declared;
  }

  /** A string: u16 length including a terminating NUL, the UTF-8 bytes, the NUL. */
  string(what: string): string {
    const length = this.u16(`the length of ${what}`);
    if (length === 0) throw this.fail(`${what} has length 0 (the length counts the terminating NUL)`);
    const bytes = this.raw(length, what);
    if (bytes[length - 1] !== 0) throw this.fail(`${what} does not end with a NUL byte`);
    try {
      return utf8.decode(bytes.subarray(0, length - 1));
    } catch {
      throw this.fail(`${what} is not valid UTF-8`);
    }
  }
}

/** Smallest encoding of one variable: name (3 bytes), rank, type, size. */
const MIN_VARIABLE_BYTES = 3 + 1 + 1 + 4;
/** Smallest encoding of one alias: two strings of one character. */
const MIN_ALIAS_BYTES = 3 + 3;

function readVariable(
  reader: Ctranslate2FieldReader,
  binaryVersion: number,
  index: number,
): [string, CTranslate2Variable] {
  const name = reader.string(`the name of variable ${index}`);
  const label = `variable ${quoteForMessage(name)}`;
  const rank = reader.u8(`the rank of ${label}`);
  if (rank > MAX_RANK) throw reader.fail(`${label} has rank ${rank}; at most ${MAX_RANK} is accepted`);
  const dims: number[] = [];
  for (let axis = 0; axis < rank; axis++) dims.push(reader.u32(`dimension ${axis} of ${label}`));
  const elements = dims.reduce((product, dim) => product * dim, 1);
  let dtype: CTranslate2Dtype;
  let byteLength: number;
  if (binaryVersion >= 4) {
    const typeId = reader.u8(`the type of ${label}`);
    const known = ctranslate2Dtypes[typeId];
    if (known === undefined) {
      throw reader.fail(
        `${label} has type id ${typeId}; CTranslate2 defines ${ctranslate2Dtypes.map((d, id) => `${id} ${d}`).join(", ")}`,
      );
    }
    dtype = known;
    byteLength = reader.u32(`the byte size of ${label}`);
  } else {
    const itemSize = reader.u8(`the item size of ${label}`);
    const byItemSize: Record<number, CTranslate2Dtype> = { 4: "float32", 2: "int16", 1: "int8" };
    const known = byItemSize[itemSize];
    if (known === undefined) {
      throw reader.fail(`${label} has item size ${itemSize}; files of version < 4 use 4, 2 or 1`);
    }
    dtype = known;
    byteLength = reader.u32(`the element count of ${label}`) * itemSize;
  }
  const expected = elements * ctranslate2DtypeBytes[dtype];
  if (byteLength !== expected) {
    throw reader.fail(
      `${label} (${dtype} [${dims.join(", ")}]) needs ${expected} bytes but declares ${byteLength}`,
    );
  }
  return [name, { dtype, dims, bytes: reader.raw(byteLength, `the data of ${label}`) }];
}

/**
 * Parses a CTranslate2 `model.bin` held in memory (see CTranslate2's `model_spec.py`, `_serialize`):
 * u32 binary version; spec name and u32 spec revision (version ≥ 2); a u32 count of variables, each
 * a name, a u8 rank, u32 dimensions, the type (version ≥ 4: u8 type id and u32 byte size; before: u8
 * item size and u32 element count) and the data; then (version ≥ 3) a u32 count of aliases, each an
 * alias name and the variable it stands for. Strings are a u16 length counting a final NUL, then
 * UTF-8. Variables stay raw bytes (views, no copy) until converted with
 * {@link ctranslate2VariableToFloat32}. The model's `config.json` beside the file is not read here.
 * @throws TokenscopeError MODEL_LOAD_FAILED for a truncated or malformed file (naming the field), an
 * unknown type, a size that does not match the shape, a duplicate name, an alias of nothing, or
 * trailing bytes; for a binary version outside 2..6.
 */
export function readCTranslate2Model(
  bytes: Uint8Array,
  options: CTranslate2ReadOptions = {},
): CTranslate2Model {
  const source = options.source ?? "CTranslate2 model.bin";
  const reader = new Ctranslate2FieldReader(bytes, source);
  const binaryVersion = reader.u32("the binary version");
  const { min, max } = CTRANSLATE2_BINARY_VERSIONS;
  if (binaryVersion < min || binaryVersion > max) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${source}: binary version ${binaryVersion} is not supported; tokenscope reads CTranslate2 model.bin versions ${min} to ${max}.`,
      {
        hint:
          binaryVersion > max
            ? "The file was written by a newer CTranslate2; convert the model with CTranslate2 4.x."
            : "The file is damaged, not a model.bin, or from CTranslate2 1.x; convert the model again.",
        details: { source, binaryVersion },
      },
    );
  }
  const spec = reader.string("the spec name");
  const revision = reader.u32("the spec revision");
  const variableCount = reader.count("the number of variables", MIN_VARIABLE_BYTES);
  const variables = new Map<string, CTranslate2Variable>();
  for (let index = 0; index < variableCount; index++) {
    const [name, variable] = readVariable(reader, binaryVersion, index);
    if (variables.has(name)) throw reader.fail(`variable ${quoteForMessage(name)} appears twice`);
    variables.set(name, variable);
  }
  const aliases = new Map<string, string>();
  if (binaryVersion >= 3) {
    const aliasCount = reader.count("the number of aliases", MIN_ALIAS_BYTES);
    for (let index = 0; index < aliasCount; index++) {
      const alias = reader.string(`alias ${index}`);
      const target = reader.string(`the variable of alias ${quoteForMessage(alias)}`);
      if (!variables.has(target)) {
        throw reader.fail(
          `alias ${quoteForMessage(alias)} names ${quoteForMessage(target)}, which is no variable`,
        );
      }
      if (variables.has(alias) || aliases.has(alias)) {
        throw reader.fail(`alias ${quoteForMessage(alias)} is also the name of a variable or another alias`);
      }
      aliases.set(alias, target);
    }
  }
  if (reader.remaining !== 0) {
    throw reader.fail(`${reader.remaining} bytes follow the last field (at byte ${reader.offset})`);
  }
  return { binaryVersion, spec, revision, variables, aliases };
}

/** The variable named `name`, following an alias; undefined when neither exists. */
export function ctranslate2Variable(model: CTranslate2Model, name: string): CTranslate2Variable | undefined {
  return model.variables.get(name) ?? model.variables.get(model.aliases.get(name) ?? "");
}

/**
 * A floating-point variable's values as fp32 (float16 and bfloat16 widen exactly). Integer
 * variables are quantized weights (with a `_scale` beside them) or scalar settings; they are refused.
 * @throws TokenscopeError MODEL_LOAD_FAILED for an integer variable.
 */
export function ctranslate2VariableToFloat32(
  variable: CTranslate2Variable,
  name: string,
  source = "CTranslate2 model.bin",
): Float32Array {
  switch (variable.dtype) {
    case "float32":
      return bytesToFloat32(variable.bytes, "F32");
    case "float16":
      return bytesToFloat32(variable.bytes, "F16");
    case "bfloat16":
      return bytesToFloat32(variable.bytes, "BF16");
    default:
      throw new TokenscopeError(
        "MODEL_LOAD_FAILED",
        `${source}: variable ${quoteForMessage(name)} is ${variable.dtype}; tokenscope reads float32, float16 and bfloat16 weights.`,
        {
          hint: "Convert the model again without quantization (ct2-*-converter --quantization float32).",
          details: { source, variable: name, dtype: variable.dtype },
        },
      );
  }
}
