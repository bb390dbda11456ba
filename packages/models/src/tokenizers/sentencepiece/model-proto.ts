import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { TokenscopeError } from "@tokenscope/core";

/*
 * SentencePiece's `ModelProto` (sentencepiece_model.proto), read and written by hand on the wire
 * format: only the fields a tokenizer needs are kept, every other field is skipped, so that a
 * `.model` / `.spm` file loads without generated protobuf code.
 */

/** Kinds of pieces (`ModelProto.SentencePiece.Type`); the numbers are the proto's. */
export const PieceType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;
export type PieceType = (typeof PieceType)[keyof typeof PieceType];

/** Segmentation algorithms (`TrainerSpec.ModelType`); the numbers are the proto's. */
export const ModelType = { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } as const;
export type ModelType = (typeof ModelType)[keyof typeof ModelType];

/** One vocabulary entry; its id is its index in {@link SentencePieceModel.pieces}. */
export interface SentencePiece {
  piece: string;
  /** Log probability (unigram) or merge priority (BPE); float32 in the file. */
  score: number;
  type: PieceType;
}

/** The `TrainerSpec` fields that change how text is encoded. */
export interface TrainerSpec {
  modelType: ModelType;
  byteFallback: boolean;
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  /** What `<unk>` decodes to (default " ⁇ "). */
  unkSurface?: string;
  /** Whitespace marks the end of a piece rather than its start (rare; changes the dummy prefix). */
  treatWhitespaceAsSuffix: boolean;
}

/** `NormalizerSpec`, with the proto's defaults filled in. */
export interface NormalizerSpec {
  name?: string;
  /** darts-clone trie plus normalized strings; empty = no character mapping. */
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

/** A parsed SentencePiece model file. */
export interface SentencePieceModel {
  pieces: SentencePiece[];
  trainerSpec: TrainerSpec;
  normalizerSpec: NormalizerSpec;
  denormalizerSpec?: NormalizerSpec;
}

/** The proto's defaults, for a model file that leaves a field out. */
export function defaultTrainerSpec(): TrainerSpec {
  return {
    modelType: ModelType.UNIGRAM,
    byteFallback: false,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: -1,
    treatWhitespaceAsSuffix: false,
  };
}

/** The proto's defaults (every flag true, no charsmap), for a file without a normalizer spec. */
export function defaultNormalizerSpec(): NormalizerSpec {
  return {
    precompiledCharsmap: new Uint8Array(0),
    addDummyPrefix: true,
    removeExtraWhitespaces: true,
    escapeWhitespaces: true,
  };
}

/** Thrown inside the parser and turned into one MODEL_LOAD_FAILED by {@link readSentencePieceModel}. */
class ModelFormatError extends Error {}

type Fields = (reader: BinaryReader, field: number, wireType: WireType, path: string) => boolean;

function expectWire(actual: WireType, expected: WireType, path: string): void {
  if (actual !== expected) {
    throw new ModelFormatError(`field ${path} has wire type ${actual}, expected ${expected}`);
  }
}

/** Walks one message; `fields` returns false for a field it does not know, which is skipped. */
function readMessage(bytes: Uint8Array, path: string, fields: Fields): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field <= 0) throw new ModelFormatError(`${path} has a field number ${field}`);
    if (!fields(reader, field, wireType, `${path}.${field}`)) reader.skip(wireType, field);
  }
  if (reader.pos !== reader.len) throw new ModelFormatError(`${path} ends inside a field`);
}

/** A length-delimited field's bytes, checked against what is left of the buffer. */
function delimited(reader: BinaryReader, wireType: WireType, path: string): Uint8Array {
  expectWire(wireType, WireType.LengthDelimited, path);
  const start = reader.pos;
  const length = reader.uint32();
  if (reader.pos + length > reader.len) {
    throw new ModelFormatError(
      `field ${path} at byte ${start} claims ${length} bytes but only ${reader.len - reader.pos} are left`,
    );
  }
  reader.pos = start;
  return reader.bytes();
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function text(reader: BinaryReader, wireType: WireType, path: string): string {
  const bytes = delimited(reader, wireType, path);
  try {
    return utf8.decode(bytes);
  } catch {
    throw new ModelFormatError(`field ${path} is not valid UTF-8`);
  }
}

function varint(reader: BinaryReader, wireType: WireType, path: string): number {
  expectWire(wireType, WireType.Varint, path);
  return reader.int32();
}

function readPiece(bytes: Uint8Array, path: string): SentencePiece {
  const piece: SentencePiece = { piece: "", score: 0, type: PieceType.NORMAL };
  readMessage(bytes, path, (reader, field, wireType, fieldPath) => {
    if (field === 1) piece.piece = text(reader, wireType, fieldPath);
    else if (field === 2) {
      expectWire(wireType, WireType.Bit32, fieldPath);
      piece.score = reader.float();
    } else if (field === 3) {
      const type = varint(reader, wireType, fieldPath);
      if (type < 1 || type > 6) throw new ModelFormatError(`${path} has piece type ${type}, not 1..6`);
      piece.type = type as PieceType;
    } else return false;
    return true;
  });
  return piece;
}

function readTrainerSpec(bytes: Uint8Array, path: string): TrainerSpec {
  const spec = defaultTrainerSpec();
  readMessage(bytes, path, (reader, field, wireType, fieldPath) => {
    switch (field) {
      case 3: {
        const type = varint(reader, wireType, fieldPath);
        if (type < 1 || type > 4) throw new ModelFormatError(`model_type is ${type}, not 1..4`);
        spec.modelType = type as ModelType;
        return true;
      }
      case 24:
        spec.treatWhitespaceAsSuffix = varint(reader, wireType, fieldPath) !== 0;
        return true;
      case 35:
        spec.byteFallback = varint(reader, wireType, fieldPath) !== 0;
        return true;
      case 40:
        spec.unkId = varint(reader, wireType, fieldPath);
        return true;
      case 41:
        spec.bosId = varint(reader, wireType, fieldPath);
        return true;
      case 42:
        spec.eosId = varint(reader, wireType, fieldPath);
        return true;
      case 43:
        spec.padId = varint(reader, wireType, fieldPath);
        return true;
      case 44:
        spec.unkSurface = text(reader, wireType, fieldPath);
        return true;
      default:
        return false;
    }
  });
  return spec;
}

function readNormalizerSpec(bytes: Uint8Array, path: string): NormalizerSpec {
  const spec = defaultNormalizerSpec();
  readMessage(bytes, path, (reader, field, wireType, fieldPath) => {
    if (field === 1) spec.name = text(reader, wireType, fieldPath);
    else if (field === 2) spec.precompiledCharsmap = delimited(reader, wireType, fieldPath).slice();
    else if (field === 3) spec.addDummyPrefix = varint(reader, wireType, fieldPath) !== 0;
    else if (field === 4) spec.removeExtraWhitespaces = varint(reader, wireType, fieldPath) !== 0;
    else if (field === 5) spec.escapeWhitespaces = varint(reader, wireType, fieldPath) !== 0;
    else return false;
    return true;
  });
  return spec;
}

/**
 * Reads a SentencePiece model file (`tokenizer.model`, Marian's `source.spm` / `target.spm`).
 * Anything malformed (truncated bytes, wrong wire types, lengths beyond the file, no pieces, ids
 * out of range) is a `MODEL_LOAD_FAILED` naming `source`, never a raw exception: these files come
 * from model folders a user points at, and the message must say which file is bad.
 */
export function readSentencePieceModel(
  bytes: Uint8Array,
  source = "SentencePiece model",
): SentencePieceModel {
  const fail = (what: string, cause?: unknown): never => {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
      hint: "This is not a SentencePiece model file (ModelProto), or it is truncated; download it again.",
      details: { source, byteLength: bytes.byteLength },
      ...(cause === undefined ? {} : { cause }),
    });
  };
  const pieces: SentencePiece[] = [];
  let trainerSpec = defaultTrainerSpec();
  let normalizerSpec = defaultNormalizerSpec();
  let denormalizerSpec: NormalizerSpec | undefined;
  try {
    readMessage(bytes, "ModelProto", (reader, field, wireType, path) => {
      if (field === 1) pieces.push(readPiece(delimited(reader, wireType, path), `pieces[${pieces.length}]`));
      else if (field === 2) trainerSpec = readTrainerSpec(delimited(reader, wireType, path), "trainer_spec");
      else if (field === 3)
        normalizerSpec = readNormalizerSpec(delimited(reader, wireType, path), "normalizer_spec");
      else if (field === 5)
        denormalizerSpec = readNormalizerSpec(delimited(reader, wireType, path), "denormalizer_spec");
      else return false;
      return true;
    });
  } catch (error) {
    if (error instanceof ModelFormatError) fail(error.message);
    // The wire reader's own errors: premature end of data, malformed varints, bad wire types.
    fail(`the protobuf data is malformed (${error instanceof Error ? error.message : String(error)})`, error);
  }
  if (pieces.length === 0) fail("the model has no pieces");
  const emptyPiece = pieces.findIndex((piece) => piece.piece.length === 0);
  if (emptyPiece >= 0) fail(`piece ${emptyPiece} is empty`);
  const { unkId } = trainerSpec;
  if (unkId < 0 || unkId >= pieces.length)
    fail(`unk_id ${unkId} is not a piece id (0..${pieces.length - 1})`);
  return { pieces, trainerSpec, normalizerSpec, ...(denormalizerSpec ? { denormalizerSpec } : {}) };
}

function writeNormalizerSpec(writer: BinaryWriter, field: number, spec: NormalizerSpec): void {
  writer.tag(field, WireType.LengthDelimited).fork();
  if (spec.name !== undefined) writer.tag(1, WireType.LengthDelimited).string(spec.name);
  if (spec.precompiledCharsmap.length > 0)
    writer.tag(2, WireType.LengthDelimited).bytes(spec.precompiledCharsmap);
  writer.tag(3, WireType.Varint).bool(spec.addDummyPrefix);
  writer.tag(4, WireType.Varint).bool(spec.removeExtraWhitespaces);
  writer.tag(5, WireType.Varint).bool(spec.escapeWhitespaces);
  writer.join();
}

/**
 * Writes a model as a ModelProto that sentencepiece itself loads: the fields of
 * {@link SentencePieceModel}, every flag written explicitly so that no reader depends on defaults.
 * Used to make random Marian folders for tests and demos.
 */
export function writeSentencePieceModel(model: SentencePieceModel): Uint8Array {
  const writer = new BinaryWriter();
  for (const piece of model.pieces) {
    writer.tag(1, WireType.LengthDelimited).fork();
    writer.tag(1, WireType.LengthDelimited).string(piece.piece);
    writer.tag(2, WireType.Bit32).float(piece.score);
    writer.tag(3, WireType.Varint).int32(piece.type);
    writer.join();
  }
  const trainer = model.trainerSpec;
  writer.tag(2, WireType.LengthDelimited).fork();
  writer.tag(3, WireType.Varint).int32(trainer.modelType);
  writer.tag(24, WireType.Varint).bool(trainer.treatWhitespaceAsSuffix);
  writer.tag(35, WireType.Varint).bool(trainer.byteFallback);
  writer.tag(40, WireType.Varint).int32(trainer.unkId);
  writer.tag(41, WireType.Varint).int32(trainer.bosId);
  writer.tag(42, WireType.Varint).int32(trainer.eosId);
  writer.tag(43, WireType.Varint).int32(trainer.padId);
  if (trainer.unkSurface !== undefined) writer.tag(44, WireType.LengthDelimited).string(trainer.unkSurface);
  writer.join();
  writeNormalizerSpec(writer, 3, model.normalizerSpec);
  if (model.denormalizerSpec) writeNormalizerSpec(writer, 5, model.denormalizerSpec);
  return writer.finish();
}
