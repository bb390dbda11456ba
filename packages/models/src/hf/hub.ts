import { mkdir, readdir, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { TokenscopeError, throwIfAborted } from "@tokenscope/core";
import { writeFileAtomically } from "@tokenscope/core/node";
import { readMetadataBytes } from "../formats/read-file.ts";
import { SAFETENSORS_INDEX_FILE } from "../formats/safetensors/sharded.ts";
import { type DownloadProgressCallback, trackDownloadProgress } from "./download-progress.ts";
import { createHubFetch, type HubFetch, hubTimeouts } from "./hub-fetch.ts";
import { missingHfFiles, selectHfFiles } from "./hub-files.ts";

/** Options of {@link resolveHfModel}. */
export interface ResolveHfModelOptions {
  /** Branch, tag or commit of a hub model; default "main" (or the `@revision` of the reference). */
  revision?: string;
  /** Hugging Face hub cache; default `HF_HUB_CACHE`, else `HF_HOME`/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** Resolve from the cache only, never touching the network; default: env `HF_HUB_OFFLINE` is set (1, true, yes, on). */
  offline?: boolean;
  /** Hub endpoint; default env `HF_ENDPOINT`, else the `@huggingface/hub` default. */
  hubUrl?: string;
  /** Token for gated or private models; default env `HF_TOKEN`. */
  accessToken?: string;
  /** fetch to use (proxies, tests). */
  fetch?: typeof fetch;
  /** Called before each file of a hub model is fetched or found in the cache (progress display). */
  onFile?: (path: string, index: number, count: number) => void;
  /** Bytes of each file as they arrive, and when it is done (progress display). */
  onDownloadProgress?: DownloadProgressCallback;
  /** Cancels the download (an `ABORTED` error, never a fallback to the cache). */
  signal?: AbortSignal;
  /**
   * How long a hub request may wait for its response's headers; default env
   * `TOKENSCOPE_HUB_CONNECT_TIMEOUT_MS`, else 30 000 ms.
   */
  connectTimeoutMs?: number;
  /**
   * How long a download may go without receiving a byte; default env
   * `TOKENSCOPE_HUB_READ_TIMEOUT_MS`, else 60 000 ms.
   */
  readTimeoutMs?: number;
}

/** Where a model reference resolved to. */
export interface ResolvedHfModel {
  /** Local folder holding the model's files. */
  folder: string;
  /**
   * "local": a folder given by path; "cache": a hub model answered from the cache alone (offline,
   * or the hub unreachable); "download": resolved against the hub now (files already cached for
   * the commit are not fetched again).
   */
  source: "local" | "cache" | "download";
  /** Hub id ("org/name"), for hub models. */
  repo?: string;
  /** Requested revision, for hub models. */
  revision?: string;
  /** Commit the revision resolved to, for hub models. */
  commit?: string;
  /** Set when the hub could not be reached and the cached copy was used instead. */
  warning?: string;
}

/** Hub ids: "name" or "org/name", letters, digits, "-", "_", "."; optionally "@revision". */
const hubIdPattern = /^((?:[\w.-]+\/)?[\w.-]+)(?:@(.+))?$/;
const commitPattern = /^[0-9a-f]{40}$/;

/** Python huggingface_hub's reading of boolean environment variables. */
function envFlag(value: string | undefined): boolean {
  return ["1", "ON", "YES", "TRUE"].includes((value ?? "").trim().toUpperCase());
}

async function pathKind(path: string): Promise<"folder" | "file" | undefined> {
  try {
    return (await stat(path)).isDirectory() ? "folder" : "file";
  } catch {
    return undefined;
  }
}

function refFailed(ref: string, what: string, hint: string): never {
  throw new TokenscopeError("MODEL_LOAD_FAILED", `Cannot resolve the model "${ref}": ${what}.`, {
    hint,
    details: { ref },
  });
}

interface HubTarget {
  repo: string;
  revision: string;
  cacheDir: string;
  /** The repository's folder in the cache: models--org--name. */
  storage: string;
}

/** The cached snapshot of a revision: its folder, commit, and the files it still lacks. */
async function cachedSnapshot(
  target: HubTarget,
): Promise<{ folder: string; commit: string; missing: string[] } | undefined> {
  let commit = target.revision;
  if (!commitPattern.test(commit)) {
    try {
      commit = new TextDecoder()
        .decode(await readMetadataBytes(join(target.storage, "refs", target.revision)))
        .trim();
    } catch {
      return undefined;
    }
  }
  const folder = join(target.storage, "snapshots", commit);
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return undefined;
  }
  const present = new Set(names);
  let index: Record<string, string> | undefined;
  if (present.has(SAFETENSORS_INDEX_FILE)) {
    try {
      index = (
        JSON.parse(
          new TextDecoder().decode(await readMetadataBytes(join(folder, SAFETENSORS_INDEX_FILE))),
        ) as SafetensorsIndexJson
      ).weight_map;
    } catch {
      index = undefined;
    }
  }
  return { folder, commit, missing: missingHfFiles(present, index) };
}

interface SafetensorsIndexJson {
  weight_map: Record<string, string>;
}

function notCachedError(target: HubTarget, why: string, missing?: readonly string[]): TokenscopeError {
  const what = missing
    ? `its cached snapshot in ${target.cacheDir} lacks ${missing.join(", ")}`
    : `it is not in the Hugging Face cache at ${target.cacheDir}`;
  return new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `Cannot load "${target.repo}" (revision ${target.revision}) offline (${why}): ${what}.`,
    {
      hint: "Run once with network access (offline off, HF_HUB_OFFLINE unset) to download it into the cache, point cacheDir or HF_HUB_CACHE at the cache that holds it, or pass the path of a local model folder.",
      details: { repo: target.repo, revision: target.revision, cacheDir: target.cacheDir, missing },
    },
  );
}

/** Errno codes of a failed connection, and how they read. */
const connectionFailures: Readonly<Record<string, string>> = {
  ECONNREFUSED: "it refused the connection",
  ECONNRESET: "it closed the connection",
  ENOTFOUND: "its host name did not resolve",
  EAI_AGAIN: "its host name did not resolve",
  ETIMEDOUT: "the connection timed out",
  EHOSTUNREACH: "its host is unreachable",
  ENETUNREACH: "the network is unreachable",
};

/** The errno code somewhere in an error's cause chain (undici puts it one or two levels down). */
function errnoIn(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 4; depth++) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (typeof code === "string" && code in connectionFailures) return code;
    cause = cause.cause;
  }
  return undefined;
}

function downloadError(
  target: HubTarget,
  hubUrl: string,
  error: unknown,
  stopped: TokenscopeError | undefined,
): TokenscopeError {
  let host = hubUrl;
  try {
    host = new URL(hubUrl).host;
  } catch {}
  const status = (error as { statusCode?: unknown }).statusCode;
  const errno = errnoIn(error);
  const [what, hint] = stopped
    ? // A timeout: its message says which and its hint how to raise it.
      [String(stopped.details["what"]), stopped.hint ?? ""]
    : status === 401 || status === 403
      ? [
          `access denied (HTTP ${status}): the model is gated or private`,
          "Accept the model's licence on its hub page and set HF_TOKEN (or pass accessToken).",
        ]
      : status === 404
        ? ["no such model or revision (HTTP 404)", "Check the id and the revision."]
        : typeof status === "number"
          ? [`the hub answered HTTP ${status}`, "Try again later."]
          : errno
            ? [
                `the hub could not be reached: ${connectionFailures[errno]} (${errno})`,
                "Check the network connection or the hub endpoint (HF_ENDPOINT); a model already in the cache loads with offline: true (or HF_HUB_OFFLINE=1).",
              ]
            : [
                `the hub could not be reached (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)})`,
                "Check the network connection or the hub endpoint (HF_ENDPOINT); a model already in the cache loads with offline: true (or HF_HUB_OFFLINE=1).",
              ];
  return new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `Cannot download "${target.repo}" (revision ${target.revision}) from ${host}: ${what}.`,
    {
      hint,
      details: {
        repo: target.repo,
        revision: target.revision,
        host,
        status,
        ...(stopped ? { network: stopped.details["network"] } : errno ? { network: errno } : {}),
      },
      cause: stopped ?? error,
    },
  );
}

let quieted = 0;
let originalDebug: typeof console.debug | undefined;

/**
 * Runs `task` with `@huggingface/hub`'s "Downloading <file> to <path>" lines (console.debug, which
 * Node writes to stdout, where they would corrupt a command's JSON output) dropped; other debug
 * output passes. Counted, so that overlapping downloads restore the original once.
 */
async function withoutDownloadLogs<T>(task: () => Promise<T>): Promise<T> {
  if (quieted++ === 0) {
    const debug = console.debug;
    originalDebug = debug;
    console.debug = (...args: unknown[]) => {
      if (!(typeof args[0] === "string" && args[0].startsWith("Downloading "))) debug(...args);
    };
  }
  try {
    return await task();
  } finally {
    if (--quieted === 0 && originalDebug) console.debug = originalDebug;
  }
}

/**
 * Downloads the files tokenscope needs of one revision into the standard Hugging Face cache
 * (shared with Python), as `snapshotDownload` lays them out but without the files it does not
 * need. Files already cached for the commit are not fetched again.
 */
async function downloadSnapshot(
  target: HubTarget,
  options: ResolveHfModelOptions,
  hubUrl: string,
  network: HubFetch,
  progress: ReturnType<typeof trackDownloadProgress>,
) {
  const hub = await import("@huggingface/hub");
  const accessToken = options.accessToken ?? process.env["HF_TOKEN"];
  const params = { hubUrl, ...(accessToken ? { accessToken } : {}), fetch: network.fetch };
  const info = await hub.modelInfo({
    ...params,
    name: target.repo,
    revision: target.revision,
    additionalFields: ["sha", "filePaths"],
  });
  const commit = info.sha;
  if (target.revision !== commit) {
    const refPath = join(target.storage, "refs", target.revision);
    await mkdir(dirname(refPath), { recursive: true });
    await writeFileAtomically(refPath, commit);
  }
  const download = (path: string) =>
    hub.downloadFileToCacheDir({
      ...params,
      repo: { type: "model", name: target.repo },
      path,
      revision: commit,
      cacheDir: target.cacheDir,
    });
  const files = await selectHfFiles(
    (info.filePaths ?? []).filter((path) => !path.includes("/")),
    async () =>
      (
        JSON.parse(
          new TextDecoder().decode(await readMetadataBytes(await download(SAFETENSORS_INDEX_FILE))),
        ) as SafetensorsIndexJson
      ).weight_map,
  );
  if (!files.weights) return { commit, folder: undefined };
  const paths = [...files.metadata, ...files.weights];
  for (const [index, path] of paths.entries()) {
    throwIfAborted(options.signal);
    options.onFile?.(path, index, paths.length);
    progress.start(path, index, paths.length);
    await download(path);
    progress.done();
  }
  return { commit, folder: join(target.storage, "snapshots", commit) };
}

/**
 * Resolves a model reference to a local folder: an existing folder path is used as it is; a hub
 * id ("org/name", optionally "org/name@revision") is looked up in the standard Hugging Face cache
 * and its config, tokenizer, chat template and safetensors files are downloaded there with
 * `@huggingface/hub` (nothing else: no other weight formats, no ONNX exports). Offline (option or
 * `HF_HUB_OFFLINE=1`) the cache alone answers and the network is never touched; online, a hub that
 * cannot be reached falls back to a complete cached copy (with `warning` set). Every request is
 * bounded (`connectTimeoutMs`, `readTimeoutMs`) and stops on `signal`; `onDownloadProgress` sees
 * each file's bytes arrive.
 * @throws TokenscopeError MODEL_LOAD_FAILED when a path does not exist, offline and not cached
 *   (saying how to fetch it), the repository has no safetensors weights, or the hub fails (naming
 *   the id, the host and what happened: an HTTP status, a refused connection, a connect or read
 *   timeout; `details.network` says which); ABORTED when `signal` fired.
 */
export async function resolveHfModel(
  ref: string,
  options: ResolveHfModelOptions = {},
): Promise<ResolvedHfModel> {
  const kind = await pathKind(ref);
  if (kind === "folder") return { folder: resolve(ref), source: "local" };
  if (kind === "file")
    refFailed(ref, "it is a file, not a model folder", "Pass the folder that holds config.json.");
  const match = hubIdPattern.exec(ref);
  if (!match || ref.startsWith(".")) {
    refFailed(
      ref,
      "no such folder, and it is not a hub id",
      'Pass an existing model folder or a hub id such as "org/name".',
    );
  }
  const repo = match[1]!;
  const revision = options.revision ?? match[2] ?? "main";
  const hub = await import("@huggingface/hub");
  const cacheDir = resolve(options.cacheDir ?? hub.getHFHubCachePath());
  const target: HubTarget = {
    repo,
    revision,
    cacheDir,
    storage: join(cacheDir, hub.getRepoFolderName({ type: "model", name: repo })),
  };
  const offlineByEnv = envFlag(process.env["HF_HUB_OFFLINE"]);
  const offline = options.offline ?? offlineByEnv;
  if (offline) {
    const cached = await cachedSnapshot(target);
    const why = options.offline ? "offline: true" : "HF_HUB_OFFLINE is set";
    if (!cached) throw notCachedError(target, why);
    if (cached.missing.length > 0) throw notCachedError(target, why, cached.missing);
    return { folder: cached.folder, source: "cache", repo, revision, commit: cached.commit };
  }
  const hubUrl = options.hubUrl ?? process.env["HF_ENDPOINT"] ?? hub.HUB_URL;
  const progress = trackDownloadProgress(options.onDownloadProgress);
  const network = createHubFetch(options.fetch ?? globalThis.fetch, {
    ...hubTimeouts(options),
    ...(options.signal ? { signal: options.signal } : {}),
    onHeaders: progress.onHeaders,
    onBytes: progress.onBytes,
  });
  throwIfAborted(options.signal);
  let downloaded: Awaited<ReturnType<typeof downloadSnapshot>>;
  try {
    downloaded = await withoutDownloadLogs(() =>
      downloadSnapshot(target, options, hubUrl, network, progress),
    );
  } catch (error) {
    // Cancelled: say so (exit 130 in the CLI), never fall back to the cache.
    if (options.signal?.aborted) {
      throw new TokenscopeError("ABORTED", `The download of "${repo}" was cancelled.`, {
        cause: options.signal.reason,
        details: { repo, revision, network: "cancelled" },
      });
    }
    const stopped = network.failure();
    const failure = downloadError(target, hubUrl, error, stopped?.code === "ABORTED" ? undefined : stopped);
    const cached = typeof failure.details["status"] === "number" ? undefined : await cachedSnapshot(target);
    if (cached && cached.missing.length === 0) {
      return {
        folder: cached.folder,
        source: "cache",
        repo,
        revision,
        commit: cached.commit,
        warning: failure.message,
      };
    }
    throw failure;
  }
  if (!downloaded.folder) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `"${repo}" (revision ${revision}) has no safetensors weights (model.safetensors or ${SAFETENSORS_INDEX_FILE}).`,
      {
        hint: "tokenscope reads safetensors only: pick a repository that has them, or convert the checkpoint with Python transformers (save_pretrained writes safetensors).",
        details: { repo, revision },
      },
    );
  }
  return { folder: downloaded.folder, source: "download", repo, revision, commit: downloaded.commit };
}
