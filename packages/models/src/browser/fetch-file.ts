import { isTokenscopeError, TokenscopeError } from "@tokenscope/core";
import type { DownloadProgress, DownloadProgressCallback } from "../hf/download-progress.ts";
import { fileByteBound, fileTooLarge } from "./file-source.ts";

/*
 * One bounded HTTP read, shared by urlSource and hubSource: the body is streamed so that progress
 * is reported as bytes arrive, a file above its bound is refused before it is held whole (a stated
 * Content-Length is checked first, the bytes received after), and the caller's AbortSignal stops
 * it mid-body with ABORTED.
 */

/** A cancelled download, as core's other cancellations read. */
export function downloadAborted(signal: AbortSignal, what: string): TokenscopeError {
  return new TokenscopeError("ABORTED", `The download of ${what} was cancelled.`, {
    cause: signal.reason,
    details: { network: "cancelled", reason: String(signal.reason) },
  });
}

/** Where a file is, for messages and details. */
export interface FileLocation {
  /** The file's path in its source. */
  path: string;
  url: string;
  /** Words naming the file and where it is, e.g. `config.json of gpt2 on huggingface.co`. */
  where: string;
  /** Details every error carries (repository, host). */
  details: Record<string, unknown>;
}

/** Options of {@link readResponseBody}. */
export interface ReadBodyOptions {
  signal?: AbortSignal;
  /** Called with the progress event so far each time bytes arrive (state "data"). */
  onData?: (receivedBytes: number, totalBytes: number | undefined) => void;
}

function statedSize(headers: Headers): number | undefined {
  for (const value of [headers.get("x-linked-size"), headers.get("content-length")]) {
    const size = value ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(size) && size >= 0) return size;
  }
  return undefined;
}

/**
 * The body of a successful response, within the file's bound.
 * @throws TokenscopeError MODEL_LOAD_FAILED (above the bound), ABORTED, IO_ERROR (the connection broke).
 */
export async function readResponseBody(
  response: Response,
  location: FileLocation,
  options: ReadBodyOptions = {},
): Promise<Uint8Array> {
  const { max } = fileByteBound(location.path);
  const total = statedSize(response.headers);
  if (total !== undefined && total > max) {
    await response.body?.cancel().catch(() => {});
    throw fileTooLarge(location.where, total, location.path, location.details);
  }
  if (!response.body) return new Uint8Array(await response.arrayBuffer());
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  try {
    for (;;) {
      if (options.signal?.aborted) throw downloadAborted(options.signal, location.where);
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      if (received > max) throw fileTooLarge(location.where, received, location.path, location.details);
      chunks.push(value);
      options.onData?.(received, total);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw asFetchError(error, location, options.signal);
  }
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** A failure of fetch or of a body read as a typed error: ABORTED when the caller cancelled, else IO_ERROR. */
export function asFetchError(error: unknown, location: FileLocation, signal?: AbortSignal): TokenscopeError {
  if (isTokenscopeError(error)) return error;
  if (signal?.aborted) return downloadAborted(signal, location.where);
  return new TokenscopeError(
    "IO_ERROR",
    `Could not download ${location.where}: ${error instanceof Error ? error.message : String(error)}.`,
    {
      hint: "Check the network connection and the address.",
      details: { url: location.url, ...location.details },
      cause: error,
    },
  );
}

/**
 * Reports one file's progress as `DownloadProgress` events: `start`, `data` as bytes arrive,
 * `done` with whether it was fetched (false: a cache or a local file had it).
 */
export function fileProgress(
  callback: DownloadProgressCallback | undefined,
  path: string,
  index: number,
  count: number,
) {
  const event: DownloadProgress = {
    path,
    index,
    count,
    state: "start",
    receivedBytes: 0,
    totalBytes: undefined,
  };
  const emit = (next: Partial<DownloadProgress>) => callback?.({ ...event, ...next });
  return {
    start: () => emit({}),
    data(receivedBytes: number, totalBytes: number | undefined) {
      event.receivedBytes = receivedBytes;
      event.totalBytes ??= totalBytes;
      emit({ state: "data" });
    },
    done(downloaded: boolean, bytes: number) {
      event.totalBytes ??= bytes;
      emit({ state: "done", downloaded, ...(downloaded ? {} : { receivedBytes: 0 }) });
    },
  };
}
