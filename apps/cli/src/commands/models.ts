import type { Command } from "@commander-js/extra-typings";
import { Option } from "@commander-js/extra-typings";
import { capabilityDocs, TokenscopeError } from "tokenscope";
import { formatBytes, hubOptions } from "../download-progress.ts";
import { type CliIO, plainText, printJson } from "../io.ts";
import { jsonOption } from "../options.ts";
import { integer, limitedInteger, outputPath } from "../parsers.ts";

const decoderFamilies = [
  "llama",
  "mistral",
  "qwen2",
  "qwen3",
  "gemma",
  "gemma2",
  "gemma3_text",
  "phi3",
  "gpt2",
  "gpt_neox",
  "opt",
] as const;
const encoderDecoderFamilies = ["bart", "mbart", "marian", "t5"] as const;
type EncoderDecoderFamily = (typeof encoderDecoderFamilies)[number];

/** `--dtype` values and the safetensors dtype each writes. */
const dtypeFlags = { float32: "F32", bfloat16: "BF16", float16: "F16" } as const;

const isEncoderDecoder = (arch: string): arch is EncoderDecoderFamily =>
  (encoderDecoderFamilies as readonly string[]).includes(arch);

function notFor(flag: string, arch: string, hint: string): TokenscopeError {
  return new TokenscopeError("INVALID_INPUT", `models random: ${flag} does not apply to --arch ${arch}.`, {
    hint,
  });
}

/** `tokenscope models inspect <ref>` and `tokenscope models random`. */
export function register(program: Command, io: CliIO): void {
  const models = program.command("models").description("inspect models, write random test models");
  models
    .command("random")
    .description(
      "write a Hugging Face-layout folder with fixed random weights and a working tokenizer (decoders, and the encoder-decoders bart, mbart, marian, t5)",
    )
    .addOption(
      new Option(
        "--arch <family>",
        "architecture: decoders llama, mistral, qwen2, qwen3, gemma, gemma2, gemma3_text, phi3, gpt2, gpt_neox, opt; encoder-decoders bart, mbart (mBART-50 language codes), marian (source.spm/target.spm), t5",
      )
        .choices([...decoderFamilies, ...encoderDecoderFamilies] as const)
        .makeOptionMandatory(),
    )
    .requiredOption(
      "--layers <n>",
      "transformer layers (encoder-decoders: of the encoder, and of the decoder)",
      limitedInteger(1, "modelLayers"),
    )
    .requiredOption("--hidden <n>", "hidden size", limitedInteger(1, "modelWidth"))
    .requiredOption("--heads <n>", "attention heads", limitedInteger(1, "modelWidth"))
    .option(
      "--kv-heads <n>",
      "key/value heads (grouped-query attention; decoders only)",
      limitedInteger(1, "modelWidth"),
    )
    .requiredOption(
      "--vocab <n>",
      "vocabulary size (at least 263; mbart 267, t5 99, marian 110)",
      limitedInteger(1, "vocabulary"),
    )
    .option(
      "--intermediate <n>",
      "feed-forward width (encoder-decoders: *_ffn_dim or T5's d_ff; default 4 × hidden, 2 × for T5 gated-gelu)",
      limitedInteger(1, "modelWidth"),
    )
    .addOption(
      new Option(
        "--feed-forward <kind>",
        "t5 only: gated-gelu (flan-t5, untied head; default) or relu (T5 v1.0, tied head)",
      ).choices(["gated-gelu", "relu"] as const),
    )
    .option(
      "--word-embedding-size <n>",
      "opt only: token embeddings narrower than --hidden, with project_in / project_out (opt-350m: 512 of 1024)",
      limitedInteger(1, "modelWidth"),
    )
    .option(
      "--post-norm",
      "opt only: LayerNorm after each residual addition (opt-350m's do_layer_norm_before: false)",
    )
    .option(
      "--context <n>",
      "context length (encoder-decoders: max_position_embeddings)",
      limitedInteger(1, "contextTokens"),
    )
    .addOption(
      new Option(
        "--dtype <dtype>",
        "stored precision of the weights (torch_dtype): float32 (default), bfloat16 or float16",
      ).choices(Object.keys(dtypeFlags) as (keyof typeof dtypeFlags)[]),
    )
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
      const arch = options.arch;
      for (const [flag, given] of [
        ["--word-embedding-size", options.wordEmbeddingSize !== undefined],
        ["--post-norm", options.postNorm === true],
      ] as const) {
        if (given && arch !== "opt") throw notFor(flag, arch, `Only --arch opt takes ${flag}; leave it out.`);
      }
      // What both writers take from the flags.
      const common = {
        layers: options.layers,
        hidden: options.hidden,
        heads: options.heads,
        vocab: options.vocab,
        seed: options.seed,
        out: options.out,
        force: options.force === true,
        ...(io.signal ? { signal: io.signal } : {}),
        ...(options.context !== undefined ? { contextLength: options.context } : {}),
        ...(options.dtype !== undefined ? { dtype: dtypeFlags[options.dtype] } : {}),
      };
      const report = (folder: string, config: unknown, layers: string) => {
        if (options.json) printJson(io, { folder, config });
        else
          io.stdout(`${io.color.green("wrote")} ${folder} (${arch}, ${layers}, hidden ${options.hidden})\n`);
      };
      if (isEncoderDecoder(arch)) {
        if (options.kvHeads !== undefined)
          throw notFor(
            "--kv-heads",
            arch,
            "Leave --kv-heads out: encoder-decoders have no grouped-query attention.",
          );
        if (options.feedForward !== undefined && arch !== "t5")
          throw notFor("--feed-forward", arch, "Only --arch t5 chooses its feed-forward; leave it out.");
        const { writeRandomEncoderDecoderFolder } = await import("@tokenscope/models/node");
        const written = await writeRandomEncoderDecoderFolder({
          architecture: arch,
          ...common,
          ...(options.intermediate !== undefined ? { ffn: options.intermediate } : {}),
          ...(options.feedForward !== undefined ? { feedForward: options.feedForward } : {}),
        });
        report(written.folder, written.config, `${options.layers} + ${options.layers} layers`);
        return;
      }
      if (options.feedForward !== undefined)
        throw notFor("--feed-forward", arch, "Only --arch t5 chooses its feed-forward; leave it out.");
      const { writeRandomHfFolder } = await import("@tokenscope/models/node");
      const written = await writeRandomHfFolder({
        architecture: arch,
        ...common,
        ...(options.kvHeads !== undefined ? { kvHeads: options.kvHeads } : {}),
        ...(options.intermediate !== undefined ? { intermediate: options.intermediate } : {}),
        ...(options.wordEmbeddingSize !== undefined ? { wordEmbeddingSize: options.wordEmbeddingSize } : {}),
        ...(options.postNorm === true ? { layerNormBefore: false } : {}),
      });
      report(written.folder, written.config, `${options.layers} layers`);
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
          [
            "hidden size",
            `${model.info.hiddenSize}${model.info.embeddingSize === undefined ? "" : ` (token embeddings ${model.info.embeddingSize})`}`,
          ],
          [
            "heads",
            `${model.info.numHeads} query, ${model.info.numKeyValueHeads ?? model.info.numHeads} key/value`,
          ],
          ["vocabulary", String(model.info.vocabSize)],
          ["context", `${model.info.contextLength} tokens`],
          ["special tokens", plainText(JSON.stringify(model.info.specialTokens))],
        ];
        const { encoderLayers, forcedBosTokenId, languageCodes } = model.info;
        if (encoderLayers !== undefined) rows.splice(2, 0, ["encoder layers", String(encoderLayers)]);
        if (forcedBosTokenId !== undefined) rows.push(["forced first", String(forcedBosTokenId)]);
        if (languageCodes && Object.keys(languageCodes).length > 0) {
          // The codes `--target-lang` takes, as the vocabulary spells them (shown, never acted on).
          rows.push(["languages", plainText(Object.keys(languageCodes).join(" "))]);
        }
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

  models
    .command("cache")
    .description(
      "show the weight files kept for faster loads (TOKENSCOPE_WEIGHT_CACHE, on in the CLI), or delete them",
    )
    .option("--clear", "delete every cached weight file")
    .addOption(jsonOption())
    .action(async (options) => {
      const { clearWeightCache, weightCacheUsage } = await import("@tokenscope/models/node");
      const usage = options.clear === true ? clearWeightCache() : weightCacheUsage();
      if (options.json) {
        printJson(io, { ...usage, cleared: options.clear === true });
        return;
      }
      const what = `${usage.models} ${usage.models === 1 ? "model" : "models"}, ${formatBytes(usage.bytes)}`;
      io.stdout(
        options.clear === true
          ? `${io.color.green("deleted")} ${what} from ${plainText(usage.folder)}\n`
          : `${plainText(usage.folder)}: ${what} (tokenscope models cache --clear deletes them)\n`,
      );
    });
}
