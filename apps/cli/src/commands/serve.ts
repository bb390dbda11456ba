import type { Command } from "@commander-js/extra-typings";
import { hubOptions } from "../download-progress.ts";
import type { CliIO } from "../io.ts";
import { plainText } from "../io.ts";
import { deviceOption, modelOption, reportExecution, threadsOption } from "../model-options.ts";
import { integer } from "../parsers.ts";
import { untilInterrupted } from "../until-interrupted.ts";

/** The port `tokenscope serve` binds when --port is not given. */
export const DEFAULT_SERVE_PORT = 8080;

/** Hosts that only this machine can reach: binding anything else is warned about. */
const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);

/**
 * `tokenscope serve --model <ref> [--port N] [--host 127.0.0.1] [--name <model name>]`: an
 * OpenAI-compatible server (`/v1/models`, `/v1/completions`, `/v1/chat/completions`) over a local
 * model, with real log-probabilities. Runs until Ctrl-C, then stops (exit 0).
 */
export function register(program: Command, io: CliIO): void {
  program
    .command("serve")
    .description(
      "serve a local model as an OpenAI-compatible API (/v1/completions, /v1/chat/completions, /v1/models) with real log-probabilities",
    )
    .addOption(modelOption())
    .option("--port <n>", "port to listen on (0: any free port)", integer(0, 65_535), DEFAULT_SERVE_PORT)
    .option(
      "--host <address>",
      "address to bind; other than 127.0.0.1 exposes the model to the network",
      "127.0.0.1",
    )
    .option("--name <name>", "model name clients send (default: the last part of --model)")
    .option(
      "--max-tokens-limit <n>",
      "most new tokens one request may ask for (default: the context length)",
      integer(0),
    )
    .addOption(threadsOption())
    .addOption(deviceOption())
    .action(async (options) => {
      const { createOpenAiServer, defaultModelName } = await import("@tokenscope/api-attribution/server");
      if (!LOOPBACK.has(options.host)) {
        io.stderr(
          io.color.yellow(
            `warning: binding ${plainText(options.host)}: anyone who can reach this address can use the model (no authentication).\n`,
          ),
        );
      }
      const { loadModel } = await import("@tokenscope/models/node");
      const model = await loadModel(options.model, {
        ...hubOptions(io),
        device: options.device,
        ...(options.threads ? { threads: options.threads } : {}),
      });
      reportExecution(io, model.info);
      try {
        if (io.signal?.aborted) return;
        const modelName = options.name ?? defaultModelName(options.model);
        const server = await createOpenAiServer(model, {
          modelName,
          host: options.host,
          port: options.port,
          ...(options.maxTokensLimit !== undefined ? { maxTokensLimit: options.maxTokensLimit } : {}),
          onRequest: (entry) =>
            io.stderr(
              io.color.dim(
                `${entry.method} ${plainText(entry.path)} ${entry.status} ${entry.durationMs.toFixed(0)} ms\n`,
              ),
            ),
        });
        io.stderr(`serving ${plainText(modelName)} at ${server.url}\n`);
        io.stderr(io.color.dim("press Ctrl-C to stop\n"));
        await untilInterrupted(io);
        await server.close();
        io.stderr("stopped\n");
      } finally {
        await model.dispose?.();
      }
    });
}
