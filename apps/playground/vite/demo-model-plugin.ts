import { createReadStream, existsSync } from "node:fs";
import { chmod, copyFile, mkdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Connect, Plugin, ResolvedConfig } from "vite";

/** One folder of model files served under a URL prefix of the app. */
export interface DemoModelFolder {
  /** URL path under the app's base, e.g. "models/stories260K/". */
  urlPath: string;
  /** Folder on disk holding the files. */
  folder: string;
  /** The files served and copied (nothing else in the folder is exposed). */
  files: readonly string[];
}

/** Serves the listed files of `model` (nothing else) at `base + model.urlPath`. */
function serveFolder(base: string, model: DemoModelFolder): Connect.NextHandleFunction {
  const prefix = `${base}${model.urlPath}`;
  return (request, response, next) => {
    const path = (request.url ?? "").split("?")[0] ?? "";
    if (!path.startsWith(prefix)) return next();
    const name = decodeURIComponent(path.slice(prefix.length));
    if (!model.files.includes(name)) return next();
    const file = join(model.folder, name);
    stat(file).then(
      (info) => {
        response.setHeader("Content-Type", "application/octet-stream");
        response.setHeader("Content-Length", String(info.size));
        response.setHeader("Cross-Origin-Resource-Policy", "same-origin");
        createReadStream(file).pipe(response);
      },
      () => next(),
    );
  };
}

/**
 * A Vite plugin that makes a model folder outside the project part of the site: the dev server and
 * `vite preview` serve its files, and `vite build` copies them into `dist/<urlPath>` so the built
 * site fetches the model from its own origin. A missing folder is skipped with one warning.
 */
export function demoModelPlugin(model: DemoModelFolder): Plugin {
  let config: ResolvedConfig;
  return {
    name: "tokenscope-demo-model",
    configResolved(resolved) {
      config = resolved;
    },
    configureServer(server) {
      server.middlewares.use(serveFolder(server.config.base, model));
    },
    configurePreviewServer(server) {
      server.middlewares.use(serveFolder(server.config.base, model));
    },
    async writeBundle() {
      if (!existsSync(model.folder)) {
        config.logger.warn(`demo model folder ${model.folder} is missing: not copied`);
        return;
      }
      const out = resolve(config.root, config.build.outDir, model.urlPath);
      await mkdir(out, { recursive: true });
      for (const name of model.files) {
        await copyFile(join(model.folder, name), join(out, name));
        await chmod(join(out, name), 0o644);
      }
    },
  };
}
