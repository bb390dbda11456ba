import { TokenscopeError } from "tokenscope";

/** How long a cancelled command may take to stop on its own before the process exits anyway. */
export const CANCEL_GRACE_MS = 1_500;

/** Exit code of a cancelled command (128 + SIGINT). */
const CANCELLED_EXIT_CODE = 130;

/** What {@link installInterruptHandler} needs of the process (a parameter so tests can drive it). */
export interface InterruptTarget {
  on(event: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  off(event: "SIGINT" | "SIGTERM", listener: () => void): unknown;
  exit(code: number): never;
}

/**
 * Turns Ctrl-C into cancellation, the one way the CLI handles it: the first SIGINT (or SIGTERM)
 * aborts the returned signal, which every command passes to the library, and says so on stderr;
 * if the command has not stopped within {@link CANCEL_GRACE_MS} (a native call that cannot be
 * interrupted), or on a second Ctrl-C, the process exits with 130 at once. `process.exit` runs
 * the exit handlers that remove temporary files, so nothing partial is left.
 */
export function installInterruptHandler(
  stderr: (text: string) => void,
  target: InterruptTarget = process as unknown as InterruptTarget,
): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onSignal = () => {
    if (controller.signal.aborted) {
      target.exit(CANCELLED_EXIT_CODE);
      return;
    }
    stderr("\ncancelling… (press Ctrl-C again to stop at once)\n");
    controller.abort(new TokenscopeError("ABORTED", "Cancelled by Ctrl-C."));
    timer = setTimeout(() => target.exit(CANCELLED_EXIT_CODE), CANCEL_GRACE_MS);
    // The timer must not keep a process alive that finished cancelling on its own.
    timer.unref?.();
  };
  target.on("SIGINT", onSignal);
  target.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      target.off("SIGINT", onSignal);
      target.off("SIGTERM", onSignal);
      if (timer) clearTimeout(timer);
    },
  };
}
