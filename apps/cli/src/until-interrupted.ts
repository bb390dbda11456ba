import type { CliIO } from "./io.ts";

/**
 * Resolves once the command is interrupted (Ctrl-C aborts `io.signal`): what a command that serves
 * until stopped awaits. Without a signal (never in the real CLI) it never resolves.
 */
export function untilInterrupted(io: CliIO): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!io.signal) return;
    if (io.signal.aborted) resolve();
    else io.signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
