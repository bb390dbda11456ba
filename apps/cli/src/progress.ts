import { progress } from "@clack/prompts";
import type { ProgressCallback } from "tokenscope";
import type { CliIO } from "./io.ts";

/** A progress callback drawing one bar per phase on stderr, and `done` to clear it. */
export interface ProgressReporter {
  onProgress: ProgressCallback;
  done(message?: string): void;
}

/**
 * Progress bars on stderr (a terminal only: nothing in pipes, CI or tests), one per phase
 * ("generate", "attribute", ...), restarted when the phase changes.
 */
export function createProgressReporter(io: CliIO, signal?: AbortSignal): ProgressReporter {
  const output = io.progressOutput;
  if (!output) return { onProgress: () => {}, done: () => {} };
  let bar: ReturnType<typeof progress> | undefined;
  let phase: string | undefined;
  let shown = 0;
  return {
    onProgress(event) {
      if (event.phase !== phase || !bar) {
        bar?.stop();
        bar = progress({ output, max: Math.max(1, event.total), ...(signal ? { signal } : {}) });
        bar.start(event.phase);
        phase = event.phase;
        shown = 0;
      }
      bar.advance(
        event.completed - shown,
        event.message ?? `${event.phase} ${event.completed}/${event.total}`,
      );
      shown = event.completed;
    },
    done(message) {
      bar?.stop(message);
      bar = undefined;
    },
  };
}
