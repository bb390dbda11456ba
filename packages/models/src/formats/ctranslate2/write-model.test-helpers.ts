import { concatBytes } from "../binary.ts";
import { type CTranslate2Dtype, ctranslate2DtypeBytes, ctranslate2Dtypes } from "./read-model.ts";

/** One variable to write: float32 values, or raw bytes of another type. */
export interface VariableToWrite {
  name: string;
  dims: number[];
  dtype?: CTranslate2Dtype;
  values?: readonly number[];
  bytes?: Uint8Array;
}

const u8 = (value: number) => Uint8Array.of(value);
const u16 = (value: number) => new Uint8Array(Uint16Array.of(value).buffer);
const u32 = (value: number) => new Uint8Array(Uint32Array.of(value).buffer);
const text = (value: string) => {
  const bytes = new TextEncoder().encode(value);
  return concatBytes([u16(bytes.length + 1), bytes, u8(0)]);
};

/** A model.bin as CTranslate2's `_serialize` writes it, in the layout of `binaryVersion` (2 to 6). */
export function writeCTranslate2Model(model: {
  binaryVersion?: number;
  spec?: string;
  revision?: number;
  variables: readonly VariableToWrite[];
  aliases?: ReadonlyArray<[string, string]>;
}): Uint8Array {
  const version = model.binaryVersion ?? 2;
  const chunks: Uint8Array[] = [
    u32(version),
    text(model.spec ?? "TransformerBase"),
    u32(model.revision ?? 2),
  ];
  chunks.push(u32(model.variables.length));
  for (const variable of model.variables) {
    const dtype = variable.dtype ?? "float32";
    const data = variable.bytes ?? new Uint8Array(Float32Array.from(variable.values ?? []).buffer);
    chunks.push(text(variable.name), u8(variable.dims.length), ...variable.dims.map(u32));
    if (version >= 4) chunks.push(u8(ctranslate2Dtypes.indexOf(dtype)), u32(data.byteLength));
    else chunks.push(u8(ctranslate2DtypeBytes[dtype]), u32(data.byteLength / ctranslate2DtypeBytes[dtype]));
    chunks.push(data);
  }
  if (version >= 3) {
    chunks.push(u32(model.aliases?.length ?? 0));
    for (const [alias, target] of model.aliases ?? []) chunks.push(text(alias), text(target));
  }
  return concatBytes(chunks);
}
