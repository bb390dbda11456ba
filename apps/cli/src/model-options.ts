import { Option } from "@commander-js/extra-typings";
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

/** `--threads <n>`: intra-op threads of ONNX Runtime, 1 up to the documented `threads` limit. */
export function threadsOption() {
  return new Option("--threads <n>", "threads for ONNX Runtime (default: all cores)").argParser(
    limitedInteger(1, "threads"),
  );
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
