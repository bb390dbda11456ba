import type { Command } from "@commander-js/extra-typings";
import { Option } from "@commander-js/extra-typings";
import { capabilityDocs } from "tokenscope";
import { hubOptions } from "../download-progress.ts";
import { type CliIO, plainText, printJson } from "../io.ts";
import { jsonOption } from "../options.ts";
import { integer, limitedInteger, outputPath } from "../parsers.ts";

/** `tokenscope models inspect <ref>` and `tokenscope models random`. */
export function register(program: Command, io: CliIO): void {
  const models = program.command("models").description("inspect models, write random test models");
  models
    .command("random")
    .description("write a Hugging Face-layout folder with fixed random weights and a working tokenizer")
    .addOption(
      new Option("--arch <family>", "architecture")
        .choices(["llama", "mistral", "qwen2", "qwen3", "gpt2", "gpt_neox"] as const)
        .makeOptionMandatory(),
    )
    .requiredOption("--layers <n>", "transformer layers", limitedInteger(1, "modelLayers"))
    .requiredOption("--hidden <n>", "hidden size", limitedInteger(1, "modelWidth"))
    .requiredOption("--heads <n>", "attention heads", limitedInteger(1, "modelWidth"))
    .option("--kv-heads <n>", "key/value heads (grouped-query attention)", limitedInteger(1, "modelWidth"))
    .requiredOption("--vocab <n>", "vocabulary size (at least 263)", limitedInteger(1, "vocabulary"))
    .option("--intermediate <n>", "feed-forward width", limitedInteger(1, "modelWidth"))
    .option("--context <n>", "context length", limitedInteger(1, "contextTokens"))
    .requiredOption("--seed <n>", "seed of the weights", integer(0))
    .requiredOption(
      "--out <dir>",
      "folder to write: new or empty (written beside, then renamed into place)",
      outputPath,
    )
    .option(
      "--force",
      "replace --out if it is a model folder (model files only: no .git, no sub-folders; never the current or home folder); the old one is removed once the new one is complete",
    )
    .addOption(jsonOption())
    .action(async (options) => {
      const { writeRandomHfFolder } = await import("@tokenscope/models/node");
      const written = await writeRandomHfFolder({
        architecture: options.arch,
        layers: options.layers,
        hidden: options.hidden,
        heads: options.heads,
        vocab: options.vocab,
        seed: options.seed,
        out: options.out,
        force: options.force === true,
        ...(io.signal ? { signal: io.signal } : {}),
        ...(options.kvHeads !== undefined ? { kvHeads: options.kvHeads } : {}),
        ...(options.intermediate !== undefined ? { intermediate: options.intermediate } : {}),
        ...(options.context !== undefined ? { contextLength: options.context } : {}),
      });
      if (options.json) printJson(io, { folder: written.folder, config: written.config });
      else
        io.stdout(
          `${io.color.green("wrote")} ${written.folder} (${options.arch}, ${options.layers} layers, hidden ${options.hidden})\n`,
        );
    });

  models
    .command("inspect")
    .description("show a model's architecture, sizes, tokenizer and capabilities")
    .argument("<ref>", "a Hugging Face folder or hub id, a llama2.c folder or .bin, a .gguf file")
    .option("--offline", "hub ids: use the local cache only")
    .addOption(jsonOption())
    .action(async (ref, options) => {
      const { loadModel } = await import("@tokenscope/models/node");
      const model = await loadModel(ref, {
        ...hubOptions(io),
        ...(options.offline ? { offline: true } : {}),
      });
      try {
        const summary = { ...model.info, capabilities: [...model.capabilities] };
        if (options.json) {
          printJson(io, summary);
          return;
        }
        const { bold, dim } = io.color;
        io.stdout(`${bold(plainText(ref))}\n`);
        const rows: [string, string][] = [
          [
            "architecture",
            `${plainText(model.info.architecture)}${model.info.encoderDecoder ? " (encoder-decoder)" : ""}`,
          ],
          [model.info.encoderDecoder ? "decoder layers" : "layers", String(model.info.numLayers)],
          ["hidden size", String(model.info.hiddenSize)],
          [
            "heads",
            `${model.info.numHeads} query, ${model.info.numKeyValueHeads ?? model.info.numHeads} key/value`,
          ],
          ["vocabulary", String(model.info.vocabSize)],
          ["context", `${model.info.contextLength} tokens`],
          ["special tokens", plainText(JSON.stringify(model.info.specialTokens))],
        ];
        for (const [name, value] of rows) io.stdout(`  ${dim(name.padEnd(16))}${value}\n`);
        io.stdout(`${bold("Capabilities")}\n`);
        for (const capability of model.capabilities)
          io.stdout(`  ${capability.padEnd(28)}${dim(capabilityDocs[capability])}\n`);
        // Why a capability is missing, when the model says (e.g. an encoder-decoder without forward passes yet).
        for (const [capability, note] of Object.entries(model.capabilityNotes ?? {})) {
          if (!model.capabilities.has(capability as never)) {
            io.stdout(`  ${dim(`no ${capability}`.padEnd(28))}${dim(plainText(note))}\n`);
          }
        }
      } finally {
        await model.dispose?.();
      }
    });
}
