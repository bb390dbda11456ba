/*
 * Run in a child process by terminal-safety.test.ts: runs several `tokenscope` command lines one
 * after another, as bin.ts runs one (the real process streams, colours as the environment says),
 * so a test checks the bytes of many commands for the price of one process start. After each
 * command it writes NUL, "<index> <exit code>", NUL to stdout and stderr: a NUL never survives the
 * output gate, so the markers cannot be confused with output.
 */
import { writeSync } from "node:fs";
import { run } from "./main.ts";

const commandLines = JSON.parse(process.argv[2]!) as string[][];
// Each run installs its Ctrl-C handler; more than ten would print a listener-leak warning.
process.setMaxListeners(commandLines.length + 10);
for (const [index, argv] of commandLines.entries()) {
  const code = await run(argv);
  const marker = `\u0000${index} ${code}\u0000`;
  writeSync(1, marker);
  writeSync(2, marker);
}
