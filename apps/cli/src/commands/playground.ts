import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "@commander-js/extra-typings";
import { TokenscopeError } from "tokenscope";
import type { CliIO } from "../io.ts";
import { plainText } from "../io.ts";
import { integer } from "../parsers.ts";
import { startStaticServer } from "../static-site/serve-static.ts";
import { untilInterrupted } from "../until-interrupted.ts";

/** The port `tokenscope playground` binds when --port is not given. */
export const DEFAULT_PLAYGROUND_PORT = 4173;

/**
 * Cross-origin isolation, so that onnxruntime-web may run threads (SharedArrayBuffer): the headers
 * the playground's own dev and preview servers set.
 */
export const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
} as const;

/**
 * Where the built playground is: `--dir`, else TOKENSCOPE_PLAYGROUND_DIR, else the `playground`
 * folder shipped beside the CLI's own files, else the monorepo's apps/playground/dist.
 */
export function playgroundFolder(dir: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (dir !== undefined) return dir;
  if (env["TOKENSCOPE_PLAYGROUND_DIR"]) return env["TOKENSCOPE_PLAYGROUND_DIR"];
  const cliRoot = fileURLToPath(new URL("../../", import.meta.url));
  const candidates = [join(cliRoot, "playground"), join(cliRoot, "..", "playground", "dist")];
  const found = candidates.find((folder) => existsSync(join(folder, "index.html")));
  if (found === undefined) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      "The playground is not built: there is no index.html to serve.",
      {
        hint: "Build it with `pnpm --filter @tokenscope/playground build` (in the tokenscope repository), or give --dir <built folder>.",
        details: { looked: candidates },
      },
    );
  }
  return found;
}

/**
 * `tokenscope playground [--port N] [--dir <folder>]`: serves the built web playground on
 * 127.0.0.1 (cross-origin isolated, so the model can use threads) until Ctrl-C.
 */
export function register(program: Command, io: CliIO): void {
  program
    .command("playground")
    .description("serve the web playground (attribution in the browser) on 127.0.0.1")
    .option("--port <n>", "port to listen on (0: any free port)", integer(0, 65_535), DEFAULT_PLAYGROUND_PORT)
    .option("--dir <folder>", "the built playground to serve (default: the one shipped with tokenscope)")
    .action(async (options) => {
      const root = playgroundFolder(options.dir);
      if (!existsSync(join(root, "index.html"))) {
        throw new TokenscopeError("INVALID_INPUT", `${plainText(root)} holds no index.html.`, {
          hint: "Give the folder `vite build` wrote (apps/playground/dist).",
        });
      }
      const server = await startStaticServer({
        root,
        host: "127.0.0.1",
        port: options.port,
        headers: isolationHeaders,
      });
      io.stderr(`playground at ${server.url}\n`);
      io.stderr(io.color.dim("press Ctrl-C to stop\n"));
      await untilInterrupted(io);
      await server.close();
      io.stderr("stopped\n");
    });
}
