/** One file of a hub download as it goes (see `ResolveHfModelOptions.onDownloadProgress`). */
export interface DownloadProgress {
  /** The file's path in the repository. */
  path: string;
  /** Its place among the files of this download, from 0, and how many there are. */
  index: number;
  count: number;
  /**
   * "start" before the file is looked up, "data" each time bytes arrive, "done" once it is in the
   * cache.
   */
  state: "start" | "data" | "done";
  /** Bytes received so far for this file (0 for a file found in the cache). */
  receivedBytes: number;
  /** The file's size, once a response has stated it. */
  totalBytes: number | undefined;
  /** With "done": whether it was fetched now (false: the cache had it). */
  downloaded?: boolean;
}

/** Receives {@link DownloadProgress} events. */
export type DownloadProgressCallback = (event: DownloadProgress) => void;

/** API responses (model info, paths info) are bookkeeping, not the file being downloaded. */
function isFileTransfer(url: string): boolean {
  try {
    return !new URL(url).pathname.startsWith("/api/");
  } catch {
    return false;
  }
}

/**
 * Follows the file being downloaded (one at a time): `start` and `done` bracket it, `onHeaders`
 * and `onBytes` are the bounded fetch's reports of every response meanwhile. Its size comes from
 * the first response that states one (the hub's size probe comes before the body).
 */
export function trackDownloadProgress(callback: DownloadProgressCallback | undefined) {
  let current: DownloadProgress | undefined;
  let fetched = false;
  const emit = (event: DownloadProgress) => callback?.({ ...event });
  return {
    start(path: string, index: number, count: number) {
      current = { path, index, count, state: "start", receivedBytes: 0, totalBytes: undefined };
      fetched = false;
      emit(current);
    },
    done() {
      if (!current) return;
      emit({ ...current, state: "done", downloaded: fetched });
      current = undefined;
    },
    onHeaders(url: string, totalBytes: number | undefined) {
      if (!current || !isFileTransfer(url)) return;
      fetched = true;
      current.totalBytes ??= totalBytes;
    },
    onBytes(url: string, bytes: number) {
      if (!current || !isFileTransfer(url)) return;
      current.receivedBytes += bytes;
      current.state = "data";
      emit(current);
    },
  };
}
