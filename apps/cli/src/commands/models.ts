import type { Command } from "@commander-js/extra-typings";
import { capabilityDocs } from "tokenscope";
import { type CliIO, printJson } from "../io.ts";
import { jsonOption } from "../options.ts";

/** `tokenscope models inspect <ref>`. */
export function register(program: Command, io: CliIO): void {
  const models = program.command("models").description("inspect models");
  models
    .command("inspect")
    .description("show a model's architecture, sizes, tokenizer and capabilities")
    .argument("<ref>", "a llama2.c folder or .bin, a .gguf file")
    .addOption(jsonOption())
    .action(async (ref, options) => {
      const { loadModel } = await import("@tokenscope/models/node");
      const model = await loadModel(ref);
      try {
        const summary = { ...model.info, capabilities: [...model.capabilities] };
        if (options.json) {
          printJson(io, summary);
          return;
        }
        const { bold, dim } = io.color;
        io.stdout(`${bold(ref)}\n`);
        const rows: [string, string][] = [
          ["architecture", model.info.architecture],
          ["layers", String(model.info.numLayers)],
          ["hidden size", String(model.info.hiddenSize)],
          [
            "heads",
            `${model.info.numHeads} query, ${model.info.numKeyValueHeads ?? model.info.numHeads} key/value`,
          ],
          ["vocabulary", String(model.info.vocabSize)],
          ["context", `${model.info.contextLength} tokens`],
          ["special tokens", JSON.stringify(model.info.specialTokens)],
        ];
        for (const [name, value] of rows) io.stdout(`  ${dim(name.padEnd(16))}${value}\n`);
        io.stdout(`${bold("Capabilities")}\n`);
        for (const capability of model.capabilities)
          io.stdout(`  ${capability.padEnd(28)}${dim(capabilityDocs[capability])}\n`);
      } finally {
        await model.dispose?.();
      }
    });
}
