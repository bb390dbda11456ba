import { TokenscopeError } from "@tokenscope/core";
import { SAFETENSORS_INDEX_FILE } from "../formats/safetensors/sharded.ts";
import { selectHfFiles } from "../hf/hub-files.ts";
import { asFetchError, type FileLocation, fileProgress, readResponseBody } from "./fetch-file.ts";
import type { ModelFileSource } from "./file-source.ts";

/** The part of the DOM `CacheStorage` hubSource uses, so Node tests can pass an in-memory one. */
export interface CacheStorageLike {
  open(cacheName: string): Promise<{
    match(request: string): Promise<Response | undefined>;
    put(request: string, response: Response): Promise<void>;
  }>;
}

/** Options of {@link hubSource}. */
export interface HubSourceOptions {
  /** Default https://huggingface.co. */
  hubUrl?: string;
  /** Branch, tag or commit; default "main". */
  revision?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /**
   * Where downloaded files are kept (Cache Storage, keyed by their resolve URL at the commit);
   * default `globalThis.caches` when defined; null: no cache.
   */
  cache?: CacheStorageLike | null;
  /** Default "tokenscope-hub". */
  cacheName?: string;
}

const DEFAULT_HUB_URL = "https://huggingface.co";

/** Export graphs transformers.js reads, and their external data beside them. */
const onnxExportFile = /^onnx\/model[^/]*\.onnx(_data(_\d+)?)?$/;

/**
 * The files of a listing tokenscope may read: `selectHfFiles`'s (config, tokenizer, chat template,
 * safetensors); without safetensors, the transformers.js export files (onnx/model*.onnx and their
 * .onnx_data) beside the metadata; and every top-level .gguf of a repository without config.json
 * (a GGUF repository: with one, it loads; with several, the loader names them and asks for one).
 */
async function selectHubFiles(
  listing: readonly string[],
  readIndex: () => Promise<Record<string, string>>,
): Promise<string[]> {
  const topLevel = listing.filter((path) => !path.includes("/"));
  const { metadata, weights } = await selectHfFiles(topLevel, readIndex);
  if (weights) return [...metadata, ...weights];
  const onnx = listing.filter((path) => onnxExportFile.test(path));
  if (onnx.length > 0 && topLevel.includes("config.json")) return [...metadata, ...onnx];
  const gguf = topLevel.filter((path) => path.endsWith(".gguf"));
  if (!topLevel.includes("config.json") && gguf.length > 0) return gguf;
  return metadata;
}

interface ModelInfo {
  sha?: unknown;
  siblings?: Array<{ rfilename?: unknown }>;
}

/**
 * A Hugging Face hub repository as a {@link ModelFileSource}: `list` asks the hub for the revision's
 * commit and files (GET /api/models/{repo}/revision/{revision}) and returns the ones tokenscope
 * reads (see the selection above); `read` fetches `{hubUrl}/{repo}/resolve/{commit}/{path}`,
 * streamed with progress and bounded, and keeps it in Cache Storage under that URL. Because the key
 * holds the commit, a cached file never goes stale; a second load reads the cache, and a load
 * without network works from it (the listing is cached too).
 * @throws TokenscopeError (from `list`/`read`) MODEL_LOAD_FAILED (missing or gated repository, HTTP
 *   error, file above its bound), IO_ERROR (network down and nothing cached), ABORTED.
 */
export function hubSource(repo: string, options: HubSourceOptions = {}): ModelFileSource {
  const hubUrl = (options.hubUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, "");
  const host = new URL(hubUrl).host;
  const revision = options.revision ?? "main";
  const fetcher = options.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  const storage =
    options.cache === null
      ? undefined
      : (options.cache ?? (globalThis as { caches?: CacheStorageLike }).caches);
  const cacheName = options.cacheName ?? "tokenscope-hub";
  const details = { repo, host, revision };
  let indexRead: { bytes: Uint8Array; downloaded: boolean } | undefined;
  let listed: Promise<{ commit: string; files: string[]; all: string[] }> | undefined;

  const openCache = async () => (storage ? await storage.open(cacheName) : undefined);

  const httpError = (status: number, where: string, url: string): TokenscopeError => {
    const [what, hint] =
      status === 401 || status === 403
        ? [
            `${where}: the repository is gated or private (HTTP ${status})`,
            "Accept the model's terms on its hub page or pick a public model; a browser load sends no token.",
          ]
        : status === 404
          ? [
              `${where}: not found (HTTP 404); the repository or its revision "${revision}" does not exist, or is private`,
              "Check the repository id and revision.",
            ]
          : [`${where} answered HTTP ${status}`, "Try again later; the hub may be down."];
    return new TokenscopeError("MODEL_LOAD_FAILED", `Cannot load ${repo} from ${host}: ${what}.`, {
      hint,
      details: { ...details, url, status },
    });
  };

  /** A GET through the cache: the cached response when `preferCache`, else the network, then the cache. */
  const get = async (
    url: string,
    path: string,
    signal: AbortSignal | undefined,
    preferCache: boolean,
  ): Promise<{ response: Response; cached: boolean }> => {
    const cache = await openCache();
    if (preferCache) {
      const hit = await cache?.match(url);
      if (hit) return { response: hit, cached: true };
    }
    const location: FileLocation = { path, url, where: `${path} of ${repo} on ${host}`, details };
    let response: Response;
    try {
      response = await fetcher(url, signal ? { signal } : {});
    } catch (error) {
      if (signal?.aborted) throw asFetchError(error, location, signal);
      // Offline: whatever the cache holds under this URL.
      const hit = await cache?.match(url);
      if (hit) return { response: hit, cached: true };
      throw asFetchError(error, location, signal);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw httpError(response.status, path, url);
    }
    return { response, cached: false };
  };

  const infoUrl = `${hubUrl}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
  const fileUrl = (commit: string, path: string) =>
    `${hubUrl}/${repo}/resolve/${encodeURIComponent(commit)}/${path.split("/").map(encodeURIComponent).join("/")}`;

  const readFile = async (
    commit: string,
    path: string,
    index: number,
    count: number,
    readOptions: Parameters<ModelFileSource["read"]>[1] = {},
  ): Promise<{ bytes: Uint8Array; downloaded: boolean }> => {
    const url = fileUrl(commit, path);
    const progress = fileProgress(readOptions.onProgress, path, index, count);
    progress.start();
    const { response, cached } = await get(url, path, readOptions.signal, true);
    const location: FileLocation = { path, url, where: `${path} of ${repo} on ${host}`, details };
    const bytes = await readResponseBody(response, location, {
      ...(readOptions.signal ? { signal: readOptions.signal } : {}),
      ...(cached ? {} : { onData: progress.data }),
    });
    if (!cached) await (await openCache())?.put(url, new Response(bytes as Uint8Array<ArrayBuffer>));
    progress.done(!cached, bytes.byteLength);
    return { bytes, downloaded: !cached };
  };

  const list = (signal?: AbortSignal) => {
    listed ??= (async () => {
      const { response, cached } = await get(infoUrl, "model info", signal, false);
      const text = new TextDecoder().decode(
        await readResponseBody(
          response,
          { path: "model-info.json", url: infoUrl, where: `the model info of ${repo} on ${host}`, details },
          signal ? { signal } : {},
        ),
      );
      let info: ModelInfo;
      try {
        info = JSON.parse(text) as ModelInfo;
      } catch (error) {
        throw new TokenscopeError(
          "MODEL_LOAD_FAILED",
          `${host} answered the model info of ${repo} with no JSON.`,
          {
            hint: "Check hubUrl: it must be a Hugging Face hub.",
            details: { ...details, url: infoUrl },
            cause: error,
          },
        );
      }
      if (!cached) await (await openCache())?.put(infoUrl, new Response(text));
      const commit = typeof info.sha === "string" ? info.sha : revision;
      const all = (info.siblings ?? []).flatMap((entry) =>
        typeof entry.rfilename === "string" ? [entry.rfilename] : [],
      );
      const files = await selectHubFiles(all, async () => {
        // Kept for the loader's own read of the index, which then costs no second request.
        indexRead = await readFile(commit, SAFETENSORS_INDEX_FILE, 0, 1, signal ? { signal } : {});
        const json = JSON.parse(new TextDecoder().decode(indexRead.bytes)) as {
          weight_map?: Record<string, string>;
        };
        return json.weight_map ?? {};
      });
      return { commit, files, all };
    })();
    listed.catch(() => {
      listed = undefined;
    });
    return listed;
  };

  return {
    id: repo,
    list: async (signal) => [...(await list(signal)).files],
    async read(path, readOptions = {}) {
      const { commit, files } = await list(readOptions.signal);
      const index = files.indexOf(path);
      if (index < 0) return undefined;
      if (path === SAFETENSORS_INDEX_FILE && indexRead) {
        const progress = fileProgress(readOptions.onProgress, path, index, files.length);
        progress.start();
        progress.done(indexRead.downloaded, indexRead.bytes.byteLength);
        return indexRead.bytes;
      }
      return (await readFile(commit, path, index, files.length, readOptions)).bytes;
    },
  };
}
