import type { Command } from "@commander-js/extra-typings";
import { Option } from "@commander-js/extra-typings";
import type { AttributionResult } from "tokenscope";
import { type CliIO, printJsonText } from "../io.ts";
import { integer, limitedInteger, outputPath } from "../parsers.ts";
import { printResult } from "./render-result.ts";

/** Formats `view --to` writes, and how each is made from a result. */
const formats = {
  inseq: async (result: AttributionResult) => (await import("tokenscope")).toInseqJson(result),
  csv: async (result: AttributionResult) => (await import("tokenscope")).toCsv(result),
  markdown: async (result: AttributionResult) => (await import("tokenscope")).toMarkdown(result),
  json: async (result: AttributionResult) =>
    new TextDecoder().decode((await import("tokenscope")).serializeResult(result, { indent: 2 })),
} as const;

/** `tokenscope view <result.json[.gz]>`. */
export function register(program: Command, io: CliIO): void {
  program
    .command("view")
    .description("render a saved attribution result in the terminal, or convert it (--to)")
    .argument("<file>", "a result saved with --out (.json or .json.gz)")
    .option("--step <n>", "which generated token colours the prompt text (default: the last)", integer(0))
    .option("--digits <n>", "digits after the decimal point (0 to 20)", limitedInteger(0, "digits"))
    .addOption(
      new Option(
        "--aggregate <how>",
        "reduce a result saved with --aggregate none first, then normalise per step",
      ).choices(["l2", "l1", "sum", "absmax", "mean", "max"] as const),
    )
    .addOption(
      new Option(
        "--to <format>",
        "convert instead of showing: inseq (Inseq's saved-output JSON), csv, markdown, json",
      ).choices(Object.keys(formats) as (keyof typeof formats)[]),
    )
    .option(
      "--out <file>",
      "with --to: write the conversion here (.gz: gzipped) instead of stdout",
      outputPath,
    )
    .option(
      "--max-size <bytes>",
      "accept a result this large (bytes of JSON text; default 256 MiB, gzip refused past 1 MiB when it expands over 50 times)",
      integer(1),
    )
    .action(async (file, options) => {
      const { loadResult } = await import("@tokenscope/core/node");
      const { aggregate, TokenscopeError } = await import("tokenscope");
      if (options.out && !options.to) {
        throw new TokenscopeError("INVALID_INPUT", "--out needs --to.", {
          hint: "Say what to write, e.g. --to inseq --out result.inseq.json.",
        });
      }
      const loaded = await loadResult(file, {
        ...(options.maxSize !== undefined ? { maxBytes: options.maxSize } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      const result = options.aggregate ? aggregate(loaded, [options.aggregate, "normalize"]) : loaded;
      if (options.to) {
        const text = await formats[options.to](result);
        if (!options.out) {
          // JSON keeps its values exact (\uXXXX escapes); csv and markdown are text for the terminal.
          if (options.to === "inseq" || options.to === "json") printJsonText(io, text);
          else io.stdout(text.endsWith("\n") ? text : `${text}\n`);
          return;
        }
        const { writeFileAtomically } = await import("@tokenscope/core/node");
        const { gzip } = await import("tokenscope");
        const bytes = new TextEncoder().encode(text);
        await writeFileAtomically(options.out, options.out.endsWith(".gz") ? gzip(bytes) : bytes);
        io.stderr(io.color.dim(`wrote ${options.out}\n`));
        return;
      }
      await printResult(io, result, {
        ...(options.step !== undefined ? { step: options.step } : {}),
        ...(options.digits !== undefined ? { digits: options.digits } : {}),
      });
    });
}
