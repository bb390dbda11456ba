import { Option } from "@commander-js/extra-typings";

/** `--model <ref>`: the model every model command takes. */
export function modelOption() {
  return new Option(
    "--model <ref>",
    "model: a Hugging Face folder or hub id, a llama2.c folder or .bin, a .gguf file",
  ).makeOptionMandatory();
}

/** `--threads <n>`: intra-op threads of ONNX Runtime. */
export function threadsOption() {
  return new Option("--threads <n>", "threads for ONNX Runtime (default: all cores)").argParser((value) => {
    const threads = Number(value);
    if (!Number.isInteger(threads) || threads < 1) throw new Error("expected a positive integer");
    return threads;
  });
}

/** `--device <device>`: where ONNX Runtime runs. */
export function deviceOption() {
  return new Option("--device <device>", "cpu, or cuda where onnxruntime-node has it")
    .choices(["cpu", "cuda"] as const)
    .default("cpu" as const);
}
