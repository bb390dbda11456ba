import type { Command } from "@commander-js/extra-typings";
import {
  checkGenerationSettings,
  checkLimit,
  DEFAULT_MAX_NEW_TOKENS,
  forcedFirstToken,
  parseGenerationArgs,
  TokenscopeError,
} from "tokenscope";
import { hubOptions } from "../download-progress.ts";
import { type CliIO, plainText, printJson } from "../io.ts";
import { deviceOption, modelOption, reportExecution, threadsOption } from "../model-options.ts";
import { jsonOption } from "../options.ts";
import { finiteNumber, integer } from "../parsers.ts";

/** `tokenscope generate --model <ref> "<prompt>"`. */
export function register(program: Command, io: CliIO): void {
  program
    .command("generate")
    .description("continue a prompt with a model (greedy unless --temperature is given)")
    .argument("<prompt>", "the prompt text")
    .addOption(modelOption())
    .option("--max-new-tokens <n>", "how many tokens to generate", integer(0), DEFAULT_MAX_NEW_TOKENS)
    .option("--temperature <t>", "sampling temperature; 0 = greedy", finiteNumber, 0)
    .option("--top-k <k>", "sample from the k most likely tokens", integer(0))
    .option("--top-p <p>", "sample from the smallest set with this much probability", finiteNumber)
    .option("--seed <seed>", "seed of the sampler", integer(0), 0)
    .option(
      "--target-lang <code>",
      'target language of a multilingual encoder-decoder: a language token of `models inspect` ("fr_XX") or its language ("fr")',
    )
    .addOption(threadsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (prompt, options) => {
      if (prompt.length === 0) {
        throw new TokenscopeError("INVALID_INPUT", "The prompt is empty.", {
          hint: "Give some text to continue.",
        });
      }
      const settings = {
        maxNewTokens: options.maxNewTokens,
        temperature: options.temperature,
        seed: options.seed,
        ...(options.topK !== undefined ? { topK: options.topK } : {}),
        ...(options.topP !== undefined ? { topP: options.topP } : {}),
        ...(options.targetLang !== undefined
          ? parseGenerationArgs({ targetLanguage: options.targetLang })
          : {}),
      };
      // Checked before the model loads: a typo such as 1e9 or --top-p 5 costs no load. Sizes first,
      // so that their errors name the flags.
      checkLimit("newTokens", options.maxNewTokens, "--max-new-tokens");
      if (options.topK !== undefined) checkLimit("rankedTokens", options.topK, "--top-k");
      checkGenerationSettings(settings);
      const { loadModel } = await import("@tokenscope/models/node");
      const model = await loadModel(options.model, {
        ...hubOptions(io),
        device: options.device,
        ...(options.threads ? { threads: options.threads } : {}),
      });
      reportExecution(io, model.info);
      try {
        const { tokens } = await model.tokenize(prompt);
        const promptIds = tokens.map((token) => token.id!);
        // An encoder-decoder starts its target with the config's or the chosen language's token.
        const first = model.info.encoderDecoder ? forcedFirstToken(model, settings) : undefined;
        const started = performance.now();
        const generated = await model.generate!(promptIds, {
          ...settings,
          ...(first !== undefined ? { prefixIds: [first] } : {}),
          // Ctrl-C: the library checks it before every token.
          ...(io.signal ? { signal: io.signal } : {}),
        });
        const seconds = (performance.now() - started) / 1000;
        if (options.json) {
          printJson(io, {
            prompt: { ids: promptIds, text: prompt },
            generated: { ids: generated.ids, text: generated.text },
          });
          return;
        }
        // The vocabulary decides the text: shown, never acted on, colour sequences included. A causal
        // model continues the prompt; an encoder-decoder's output is a text of its own, on its own line.
        const separator = model.info.encoderDecoder ? "\n" : "";
        io.stdout(`${io.color.dim(plainText(prompt))}${separator}${plainText(generated.text)}\n`);
        io.stderr(
          io.color.dim(
            `${generated.ids.length} tokens in ${seconds.toFixed(2)} s (${(generated.ids.length / seconds).toFixed(1)} tokens/s)\n`,
          ),
        );
      } finally {
        await model.dispose?.();
      }
    });
}
