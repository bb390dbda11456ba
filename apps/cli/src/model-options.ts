import { availableParallelism } from "node:os";
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { escapeControlCharacters } from "@tokenscope/viz";
import type { ModelInfo } from "tokenscope";
import type { CliIO } from "./io.ts";
import { limitedInteger } from "./parsers.ts";

/** `--model <ref>`: the model every model command takes. */
export function modelOption() {
  return new Option(
    "--model <ref>",
    "model: a Hugging Face folder or hub id, a llama2.c folder or .bin, a .gguf file",
  ).makeOptionMandatory();
}

/**
 * How many threads per core `--threads` may ask for. More threads than cores only take turns (a
 * 1-token attribution took 74 s with 1,000 threads on 2 cores, under a second with 2); a few per
 * core still lets someone measure oversubscription.
 */
export const THREADS_PER_CORE = 4;

/**
 * The `--threads` parser: an integer from 1 to the documented `threads` limit and to
 * {@link THREADS_PER_CORE} × `cores` (this machine's `os.availableParallelism()`), with the core
 * count in the message.
 */
export function parseThreads(cores: number = availableParallelism()) {
  const withinLimit = limitedInteger(1, "threads");
  return (value: string): number => {
    const threads = withinLimit(value);
    const most = THREADS_PER_CORE * cores;
    if (threads > most) {
      throw new InvalidArgumentError(
        `${threads.toLocaleString("en-US")} threads is more than ${THREADS_PER_CORE} per core: this machine has ${cores} ${cores === 1 ? "core" : "cores"}, so at most ${most} (leave --threads out to use all cores)`,
      );
    }
    return threads;
  };
}

/**
 * `--threads <n>`: intra-op threads of ONNX Runtime, 1 up to the documented `threads` limit and
 * {@link THREADS_PER_CORE} per core of this machine.
 */
export function threadsOption() {
  return new Option(
    "--threads <n>",
    `threads for ONNX Runtime, at most ${THREADS_PER_CORE} per core (default: all cores)`,
  ).argParser(parseThreads());
}

/** `--device <device>`: where ONNX Runtime runs. */
export function deviceOption() {
  return new Option("--device <device>", "cpu, or cuda where onnxruntime-node has it")
    .choices(["cpu", "cuda"] as const)
    .default("cpu" as const);
}

/**
 * One line on stderr saying where the model runs, and why when a request fell back (a CUDA request on
 * a machine without it, onnxruntime-node missing): the same facts the result keeps in `info.execution`.
 */
export function reportExecution(io: CliIO, info: ModelInfo): void {
  const execution = info.execution;
  if (!execution) return;
  const threads = execution.threads ? `, ${execution.threads} threads` : "";
  const where = `runs on ${execution.device} (${execution.runtime}${threads})`;
  const why = execution.notes.length > 0 ? `: ${execution.notes.join("; ")}` : "";
  const line = escapeControlCharacters(`${where}${why}`);
  io.stderr(`${execution.notes.length > 0 ? io.color.yellow(line) : io.color.dim(line)}\n`);
}
