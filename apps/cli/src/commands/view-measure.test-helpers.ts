/*
 * Run in a child process by view-bounds.test.ts: runs `tokenscope view <file>` in-process after a
 * warm-up run (so module loading is not counted) and prints, as JSON, its exit code, stderr, how
 * long the run took and how much the peak resident memory grew during it.
 */
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

const file = process.argv[2]!;
// Imports every module the view command loads, and fails (no such file) before reading anything.
await run(["view", `${file}.missing`], memoryIO());
const peakBefore = process.resourceUsage().maxRSS * 1024;
const io = memoryIO();
const started = performance.now();
const code = await run(["view", file], io);
const elapsedMs = performance.now() - started;
const peakGrowthBytes = process.resourceUsage().maxRSS * 1024 - peakBefore;
process.stdout.write(JSON.stringify({ code, stderr: io.err(), elapsedMs, peakGrowthBytes }));
