import { TokenscopeError } from "@tokenscope/core";
import { asFetchError, type FileLocation, fileProgress, readResponseBody } from "./fetch-file.ts";
import type { ModelFileSource } from "./file-source.ts";

/** Options of {@link urlSource}. */
export interface UrlSourceOptions {
  /** Default: the global fetch (tests pass their own). */
  fetch?: typeof fetch;
  /** Default: the last folder of `baseUrl` ("stories260K"). */
  id?: string;
}

/**
 * Files served over HTTP under `baseUrl` (the playground's demo model, served by its own site) as a
 * {@link ModelFileSource}. A web server cannot be asked what a folder holds, so the caller names
 * the files; each is fetched only when the loader reads it, streamed with progress and bounded.
 * @throws TokenscopeError (from `read`) MODEL_LOAD_FAILED for an HTTP error or a file above its
 *   bound, IO_ERROR when the request fails, ABORTED when the signal fires.
 */
export function urlSource(
  baseUrl: string | URL,
  files: readonly string[],
  options: UrlSourceOptions = {},
): ModelFileSource {
  const base = new URL(baseUrl, globalThis.location?.href);
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  const id = options.id ?? (base.pathname.split("/").filter(Boolean).at(-1) || base.host);
  const paths = [...files];
  return {
    id,
    list: async () => [...paths],
    async read(path, readOptions = {}) {
      const index = paths.indexOf(path);
      if (index < 0) return undefined;
      const url = new URL(path.split("/").map(encodeURIComponent).join("/"), base).href;
      const location: FileLocation = { path, url, where: `${url}`, details: { source: id, path } };
      const progress = fileProgress(readOptions.onProgress, path, index, paths.length);
      progress.start();
      const fetcher = options.fetch ?? globalThis.fetch;
      let response: Response;
      try {
        response = await fetcher(url, readOptions.signal ? { signal: readOptions.signal } : {});
      } catch (error) {
        throw asFetchError(error, location, readOptions.signal);
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => {});
        throw new TokenscopeError(
          "MODEL_LOAD_FAILED",
          `${url} answered HTTP ${response.status} (${response.statusText || "error"}).`,
          {
            hint: `Serve every file urlSource names (${paths.join(", ")}) under ${base.href}.`,
            details: { url, status: response.status, ...location.details },
          },
        );
      }
      const bytes = await readResponseBody(response, location, {
        ...(readOptions.signal ? { signal: readOptions.signal } : {}),
        onData: progress.data,
      });
      progress.done(true, bytes.byteLength);
      return bytes;
    },
  };
}
