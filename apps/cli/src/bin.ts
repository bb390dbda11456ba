#!/usr/bin/env node
import { run } from "./main.ts";

// `tokenscope ... | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

// The CLI keeps mapped weight files for the next run of the same model (`tokenscope models cache`
// shows and clears them); TOKENSCOPE_WEIGHT_CACHE=off turns that off. The library's default is off.
process.env["TOKENSCOPE_WEIGHT_CACHE"] ??= "on";

process.exitCode = await run(process.argv.slice(2));
