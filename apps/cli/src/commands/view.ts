import type { Command } from "@commander-js/extra-typings";
import { InvalidArgumentError } from "@commander-js/extra-typings";
import type { CliIO } from "../io.ts";
import { printResult } from "./render-result.ts";

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError("expected a whole number ≥ 0");
  return parsed;
}

/** `tokenscope view <result.json[.gz]>`. */
export function register(program: Command, io: CliIO): void {
  program
    .command("view")
    .description("render a saved attribution result in the terminal")
    .argument("<file>", "a result saved with --out (.json or .json.gz)")
    .option(
      "--step <n>",
      "which generated token colours the prompt text (default: the last)",
      nonNegativeInteger,
    )
    .option("--digits <n>", "digits after the decimal point", nonNegativeInteger)
    .action(async (file, options) => {
      const { loadResult } = await import("@tokenscope/core/node");
      const result = await loadResult(file);
      await printResult(io, result, {
        ...(options.step !== undefined ? { step: options.step } : {}),
        ...(options.digits !== undefined ? { digits: options.digits } : {}),
      });
    });
}
