import type { Command } from "@commander-js/extra-typings";
import { Option } from "@commander-js/extra-typings";
import type { AttributionResult } from "tokenscope";
import { type CliIO, printJsonText } from "../io.ts";
import { integer, limitedInteger, outputPath, positiveNumber } from "../parsers.ts";
import { printResult } from "./render-result.ts";
import { checkViewTargets, plotOption, type ViewTarget, writeViewFiles } from "./view-files.ts";

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
    .description(
      "render a saved attribution result in the terminal, write it as an interactive page or a figure (--html, --svg, --png), or convert it (--to, --md)",
    )
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
      "--html <file>",
      "write the interactive page: one self-contained .html file, no network",
      outputPath,
    )
    .option("--svg <file>", "write a figure as SVG (which one: --plot)", outputPath)
    .option("--png <file>", "write a figure as PNG (which one: --plot)", outputPath)
    .addOption(plotOption())
    .option("--md", "print Markdown tables (as --to markdown)")
    .option("--sequence <n>", "only this sequence in --html/--svg/--png/--md (default: all)", integer(0))
    .option("--zoom <x>", "pixels per SVG pixel of --png (default 2)", positiveNumber)
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
      const views: ViewTarget[] = [
        ...(options.html ? [{ path: options.html, format: "html" as const }] : []),
        ...(options.svg ? [{ path: options.svg, format: "svg" as const }] : []),
        ...(options.png ? [{ path: options.png, format: "png" as const }] : []),
      ];
      if ((options.plot || options.zoom !== undefined) && !options.svg && !options.png) {
        throw new TokenscopeError(
          "INVALID_INPUT",
          `${options.plot ? "--plot" : "--zoom"} needs --svg or --png.`,
          {
            hint: "Say where the figure goes, e.g. --plot distribution --svg distribution.svg.",
          },
        );
      }
      if (options.md && options.to) {
        throw new TokenscopeError("INVALID_INPUT", "--md and --to both say what to print; give one.", {
          hint: "--md is --to markdown.",
        });
      }
      await checkViewTargets(views, options.plot);
      const loaded = await loadResult(file, {
        ...(options.maxSize !== undefined ? { maxBytes: options.maxSize } : {}),
        ...(io.signal ? { signal: io.signal } : {}),
      });
      const result = options.aggregate ? aggregate(loaded, [options.aggregate, "normalize"]) : loaded;
      if (views.length > 0) {
        await writeViewFiles(io, result, views, {
          plot: options.plot,
          step: options.step,
          digits: options.digits,
          sequence: options.sequence,
          zoom: options.zoom,
          signal: io.signal,
        });
      }
      if (options.md) {
        const { toMarkdown } = await import("tokenscope");
        io.stdout(
          `${toMarkdown(result, {
            ...(options.sequence !== undefined ? { sequence: options.sequence } : {}),
            ...(options.digits !== undefined ? { digits: options.digits } : {}),
          })}\n`,
        );
        return;
      }
      if (views.length > 0 && !options.to) return;
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
