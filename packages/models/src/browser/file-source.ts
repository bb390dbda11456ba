import { limits, TokenscopeError } from "@tokenscope/core";
import type { RandomAccessBytes } from "../formats/safetensors/read.ts";
import type { DownloadProgressCallback } from "../hf/download-progress.ts";

/**
 * The files of one model, wherever they are: a folder on disk (Node), files the user picked, files
 * served by the page's own site, or a hub repository. Every format reader takes one of these, so
 * the Node and browser loaders share each format's logic instead of keeping two copies.
 */
export interface ModelFileSource {
  /** Where the files come from, for messages and info.id: "stories260K", a hub id, "3 local files". */
  readonly id: string;
  /** Relative paths the source holds ("config.json", "onnx/model.onnx"), "/"-separated. */
  list(signal?: AbortSignal): Promise<string[]>;
  /** A file's bytes; undefined when the source lacks it. */
  read(
    path: string,
    options?: { signal?: AbortSignal; onProgress?: DownloadProgressCallback },
  ): Promise<Uint8Array | undefined>;
  /**
   * A weights file opened for reading in pieces, where the source can (a folder on disk), so a
   * reader converts it tensor by tensor instead of holding it whole; undefined: use `read`.
   */
  readRandomAccess?(path: string): Promise<RandomAccessBytes | undefined>;
}

/** Options of {@link ModelFileSource.read}. */
export type SourceReadOptions = NonNullable<Parameters<ModelFileSource["read"]>[1]>;

/**
 * Metadata files (configs, tokenizers, vocabularies, chat templates, indexes) are parsed whole, so
 * they get core's `metadataFileBytes`; anything else is weights.
 */
const metadataFile = /\.(json|jinja|txt|spm)$/i;

/** Whether a file is metadata (bounded by `limits.metadataFileBytes`) rather than weights. */
export function isMetadataFile(path: string): boolean {
  return metadataFile.test(path);
}

/**
 * The largest weights file a source hands over: 4 GiB, the largest buffer Node.js 20 allocates
 * (the Node loaders' bound, `buffer.constants.MAX_LENGTH`) and the most a 32-bit WebAssembly
 * memory, where onnxruntime-web runs, can address.
 */
export const MODEL_FILE_MAX_BYTES = 2 ** 32;

/** The bound of one file, chosen by its name: metadata or weights. */
export function fileByteBound(path: string): { max: number; reason: string; limit?: "metadataFileBytes" } {
  if (isMetadataFile(path)) {
    return {
      max: limits.metadataFileBytes.max,
      reason: limits.metadataFileBytes.reason,
      limit: "metadataFileBytes",
    };
  }
  return {
    max: MODEL_FILE_MAX_BYTES,
    reason: "the largest buffer Node.js allocates and a 32-bit WebAssembly memory holds",
  };
}

/** How a file of a source is named in messages: `{id}/{path}` (a folder's path for a folder). */
export function sourcePath(source: ModelFileSource, path: string): string {
  return `${source.id.replace(/\/+$/, "")}/${path}`;
}

/**
 * The refusal of a file above its bound, raised before its bytes are held (a hostile server or a
 * mislabelled file must not exhaust the tab's memory).
 */
export function fileTooLarge(
  where: string,
  bytes: number,
  path: string,
  details: Record<string, unknown> = {},
): TokenscopeError {
  const bound = fileByteBound(path);
  return new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `${where}: ${path} is ${bytes} bytes or more, above the limit of ${bound.max} bytes (${bound.reason}).`,
    {
      hint: "No published model has a file this large: the file is damaged or not what its name says.",
      details: { path, bytes, max: bound.max, ...(bound.limit ? { limit: bound.limit } : {}), ...details },
    },
  );
}

/** A file of the source as UTF-8 text; undefined when the source lacks it. */
export async function readSourceText(
  source: ModelFileSource,
  path: string,
  options?: SourceReadOptions,
): Promise<string | undefined> {
  const bytes = await source.read(path, options);
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}

/**
 * A JSON file of the source, parsed; undefined when the source lacks it.
 * @throws TokenscopeError MODEL_LOAD_FAILED naming the file when it is not JSON (or `invalid`'s error).
 */
export async function readSourceJson(
  source: ModelFileSource,
  path: string,
  invalid?: (cause: unknown) => TokenscopeError,
): Promise<unknown> {
  const text = await readSourceText(source, path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    if (invalid) throw invalid(error);
    const where = sourcePath(source, path);
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${where} is not valid JSON.`, {
      hint: "The file is damaged; download it again.",
      details: { path: where },
      cause: error,
    });
  }
}

/**
 * A file the format cannot do without.
 * @throws TokenscopeError MODEL_LOAD_FAILED naming the file and the source when it is missing.
 */
/** {@link ModelFileSource.readRandomAccess} where the source has it, else the whole file. */
export async function readWeightsFile(
  source: ModelFileSource,
  path: string,
  options?: SourceReadOptions,
): Promise<Uint8Array | RandomAccessBytes | undefined> {
  return (await source.readRandomAccess?.(path)) ?? source.read(path, options);
}

export async function readRequiredFile(
  source: ModelFileSource,
  path: string,
  options?: SourceReadOptions,
): Promise<Uint8Array> {
  const bytes = await source.read(path, options);
  if (bytes !== undefined) return bytes;
  throw missingFile(source, path);
}

/** The error for a file the model needs and `source` lacks. */
export function missingFile(source: ModelFileSource, path: string): TokenscopeError {
  return new TokenscopeError("MODEL_LOAD_FAILED", `${sourcePath(source, path)} does not exist.`, {
    hint: `Give every file of the model; ${source.id} lacks ${path}.`,
    details: { source: source.id, path },
  });
}
