/*
 * Synchronous clean-ups run when the process exits while a write is under way. `process.exit`
 * (the CLI's second Ctrl-C or its grace-period timeout) skips every pending `finally`, so the
 * writers register what they would have removed here. A library installs no signal handlers: a
 * process killed by a signal it does not handle (SIGKILL, or SIGINT without a handler) runs no
 * exit handlers, and only the `.tmp` names say what was left.
 */

const cleanups = new Set<() => void>();
let installed = false;

function runCleanups(): void {
  for (const cleanup of cleanups) {
    try {
      cleanup();
    } catch {
      // An exit handler cannot report anything; the next clean-up must still run.
    }
  }
  cleanups.clear();
}

/**
 * Runs `cleanup` (synchronous: the event loop is gone by then) if the process exits before the
 * returned function is called; call that function once the write has finished or cleaned up
 * after itself.
 */
export function onExitCleanup(cleanup: () => void): () => void {
  if (!installed) {
    process.on("exit", runCleanups);
    installed = true;
  }
  cleanups.add(cleanup);
  return () => {
    cleanups.delete(cleanup);
  };
}
