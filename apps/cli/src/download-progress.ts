import { terminalSafe } from "@tokenscope/core";
import type { DownloadProgress } from "@tokenscope/models/node";
import type { CliIO } from "./io.ts";

/** A byte count as the hub shows sizes: "812 B", "14.2 kB", "3.51 MB", "1.20 GB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)} ${units[unit]}`;
}

/** The line of a file being downloaded: "downloading model.safetensors (3/7) 12.3 MB / 500 MB". */
export function downloadingLine(event: DownloadProgress): string {
  const total = event.totalBytes !== undefined ? ` / ${formatBytes(event.totalBytes)}` : "";
  return `downloading ${event.path} (${event.index + 1}/${event.count}) ${formatBytes(event.receivedBytes)}${total}`;
}

/** The line left once a file is downloaded: "downloaded model.safetensors (500 MB, 3/7)". */
export function downloadedLine(event: DownloadProgress): string {
  const size = formatBytes(event.totalBytes ?? event.receivedBytes);
  return `downloaded ${event.path} (${size}, ${event.index + 1}/${event.count})`;
}

/** Live updates at most this often: a terminal redrawn per 64 KiB chunk would cost more than the download. */
const REDRAW_MS = 100;

/**
 * The hub options every command's `loadModel` call passes: `signal` (Ctrl-C cancels a download)
 * and a progress display on stderr. Each file fetched leaves one line, "downloaded <file> (<size>,
 * i/n)", in a terminal and in pipes, CI logs and tests alike; files found in the cache leave
 * none. In a terminal the file under way also shows a live line with the bytes received, redrawn
 * at most every 100 ms and cleared when the file is done.
 */
export function hubOptions(io: CliIO): {
  signal?: AbortSignal;
  onDownloadProgress: (event: DownloadProgress) => void;
} {
  const live = io.progressOutput;
  let drawnAt = Number.NEGATIVE_INFINITY;
  let drawn = false;
  const clear = () => {
    if (drawn) live?.write("\r\u001b[2K");
    drawn = false;
  };
  return {
    ...(io.signal ? { signal: io.signal } : {}),
    onDownloadProgress(event) {
      if (event.state === "done") {
        clear();
        if (event.downloaded) io.stderr(`${io.color.dim(downloadedLine(event))}\n`);
        return;
      }
      if (!live || event.state !== "data") return;
      const now = performance.now();
      if (now - drawnAt < REDRAW_MS) return;
      drawnAt = now;
      const line = terminalSafe(downloadingLine(event)).slice(0, Math.max(20, io.columns - 1));
      live.write(`\r\u001b[2K${io.color.dim(line)}`);
      drawn = true;
    },
  };
}
