import type { Command } from "@commander-js/extra-typings";
import type { AttributeContextOptions, ContextAttribution } from "tokenscope";
import { hubOptions } from "../download-progress.ts";
import { type CliIO, printJsonText } from "../io.ts";
import { deviceOption, modelOption, reportExecution, threadsOption } from "../model-options.ts";
import { jsonOption } from "../options.ts";
import { finiteNumber, integer, jsonObject, nameValue, outputPath } from "../parsers.ts";
import { createProgressReporter } from "../progress.ts";

/**
 * The JSON form of a context attribution: the issue's `{ cti, selected, cci }` with each CCI result in
 * its saved form (as `--out` files hold it), plus the texts, context tokens and settings.
 */
async function contextJson(output: ContextAttribution): Promise<Record<string, unknown>> {
  const { serializeResult } = await import("tokenscope");
  const decoder = new TextDecoder();
  return {
    ...output,
    cci: output.cci.map((entry) => ({
      ...entry,
      result: JSON.parse(decoder.decode(serializeResult(entry.result))),
    })),
  };
}

/** `tokenscope attribute-context`: PECoRe's context attribution (Inseq's `attribute-context`). */
export function register(program: Command, io: CliIO): void {
  program
    .command("attribute-context")
    .description(
      "PECoRe: find the generated tokens that depend on a context (CTI), then the context tokens they depend on (CCI)",
    )
    .addOption(modelOption())
    .requiredOption("--input-current-text <text>", "the input whose continuation is examined")
    .option(
      "--input-context-text <text>",
      "the context whose influence is measured (before the current text)",
    )
    .option("--output-context-text <text>", "an output-side context, before the current output")
    .option("--output-current-text <text>", "the output examined (forced); generated greedily when absent")
    .option("--input-template <template>", 'how the input is formed (default "{context} {current}")')
    .option("--output-template <template>", 'how the output is formed (default "{context} {current}")')
    .option(
      "--contextless-input-current-text <template>",
      'the contextless input, a template over {current} (default "{current}")',
    )
    .option(
      "--context-sensitivity-metric <id>",
      "contrastive step function scoring context sensitivity (CTI)",
      "kl_divergence",
    )
    .option(
      "--context-sensitivity-std-threshold <n>",
      "CTI keeps tokens with |score| ≥ mean + n·std",
      finiteNumber,
      1,
    )
    .option("--context-sensitivity-topk <n>", "CTI then keeps at most n tokens", integer(1))
    .option("--attribution-method <id>", "attribution method of the CCI step", "saliency")
    .option(
      "--param <name=value>",
      "a parameter of the attribution method, validated against its schema; repeatable",
      nameValue,
    )
    .option("--attributed-fn <id>", "attributed function of the CCI step", "contrast_prob_diff")
    .option(
      "--attributed-fn-args <json>",
      "parameters of the attributed function, e.g. '{\"logprob\": true}'",
      jsonObject,
    )
    .option(
      "--attribution-std-threshold <n>",
      "CCI keeps context tokens with |score| ≥ mean + n·std",
      finiteNumber,
      1,
    )
    .option("--attribution-topk <n>", "CCI then keeps at most n context tokens", integer(1))
    .option("--max-new-tokens <n>", "tokens generated when --output-current-text is absent", integer(1))
    .option("--show-intermediate-outputs", "also print the CTI scores and every CCI attribution")
    .option("--out <file>", "save the JSON output to this file", outputPath)
    .addOption(threadsOption())
    .addOption(deviceOption())
    .addOption(jsonOption())
    .action(async (options) => {
      const core = await import("tokenscope");
      core.registerBuiltins();
      // Everything the options name is checked before the model loads.
      const method = core.getMethod(options.attributionMethod);
      core.parseParameters(method.parameters, options.param, method.id);
      const metric = core.getStepFunction(options.contextSensitivityMetric);
      if (metric.contrast === undefined) {
        throw new core.TokenscopeError(
          "INVALID_INPUT",
          `--context-sensitivity-metric "${metric.id}" does not compare two inputs.`,
          { hint: "Pick a contrastive step function: kl_divergence (default), pcxmi, in_context_pvi, ..." },
        );
      }
      const attributed = core.getStepFunction(options.attributedFn);
      core.parseParameters(
        attributed.parameters,
        options.attributedFnArgs,
        `Attributed function "${attributed.id}"`,
      );
      core.checkContrastOptions(
        {
          attributedFunction: attributed.id,
          // attributeContext supplies the contextless input as the contrast source.
          ...(attributed.contrast !== undefined ? { contrastSources: "(the contextless input)" } : {}),
        },
        method,
      );
      if (options.maxNewTokens !== undefined)
        core.checkLimit("newTokens", options.maxNewTokens, "--max-new-tokens");
      if (options.out) {
        const { checkWritableFile } = await import("@tokenscope/core/node");
        await checkWritableFile(options.out);
      }
      const contextOptions: Omit<AttributeContextOptions, "signal" | "onProgress"> = {
        inputCurrentText: options.inputCurrentText,
        ...(options.inputContextText !== undefined ? { inputContextText: options.inputContextText } : {}),
        ...(options.outputContextText !== undefined ? { outputContextText: options.outputContextText } : {}),
        ...(options.outputCurrentText !== undefined ? { outputCurrentText: options.outputCurrentText } : {}),
        ...(options.inputTemplate !== undefined ? { inputTemplate: options.inputTemplate } : {}),
        ...(options.outputTemplate !== undefined ? { outputTemplate: options.outputTemplate } : {}),
        ...(options.contextlessInputCurrentText !== undefined
          ? { contextlessInputCurrentText: options.contextlessInputCurrentText }
          : {}),
        contextSensitivityMetric: metric.id,
        contextSensitivityStdThreshold: options.contextSensitivityStdThreshold,
        ...(options.contextSensitivityTopk !== undefined
          ? { contextSensitivityTopk: options.contextSensitivityTopk }
          : {}),
        attributionMethod: method.id,
        ...(options.param ? { attributionParameters: options.param } : {}),
        attributedFunction: options.attributedFnArgs
          ? { id: attributed.id, parameters: options.attributedFnArgs }
          : attributed.id,
        attributionStdThreshold: options.attributionStdThreshold,
        ...(options.attributionTopk !== undefined ? { attributionTopk: options.attributionTopk } : {}),
        ...(options.maxNewTokens !== undefined ? { generation: { maxNewTokens: options.maxNewTokens } } : {}),
      };
      const { loadModel } = await import("@tokenscope/models/node");
      const signal = io.signal ?? new AbortController().signal;
      const model = await loadModel(options.model, {
        ...hubOptions(io),
        device: options.device,
        ...(options.threads ? { threads: options.threads } : {}),
      });
      reportExecution(io, model.info);
      try {
        const progress = createProgressReporter(io, signal);
        const output = await core.attributeContext(model, {
          ...contextOptions,
          signal,
          onProgress: progress.onProgress,
        });
        progress.done();
        const json = options.json || options.out ? await contextJson(output) : undefined;
        if (options.out) {
          const { writeFileAtomically } = await import("@tokenscope/core/node");
          await writeFileAtomically(options.out, `${JSON.stringify(json, null, 2)}\n`, { signal });
          io.stderr(io.color.dim(`saved ${options.out}\n`));
        }
        if (options.json) {
          printJsonText(io, JSON.stringify(json, null, 2));
          return;
        }
        if (options.showIntermediateOutputs) {
          io.stdout(
            `Context sensitivity (${core.escapeControlCharacters(output.cti.metric)}) per output token:\n${output.cti.tokens
              .map(
                (token, index) =>
                  `  ${JSON.stringify(core.escapeControlCharacters(token))}  ${output.cti.scores[index]!.toFixed(4)}`,
              )
              .join("\n")}\n\n`,
          );
          for (const entry of output.cci) {
            io.stdout(core.renderResult(entry.result, { color: io.color, columns: io.columns }));
          }
          io.stdout("\n");
        }
        io.stdout(core.renderContextAttribution(output, { color: io.color }));
      } finally {
        await model.dispose?.();
      }
    });
}
