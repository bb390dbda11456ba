import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { TokenscopeError } from "@tokenscope/core";
import { SAFETENSORS_INDEX_FILE } from "../formats/safetensors/sharded.ts";
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
      commit = (await readFile(join(target.storage, "refs", target.revision), "utf8")).trim();
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
        JSON.parse(await readFile(join(folder, SAFETENSORS_INDEX_FILE), "utf8")) as SafetensorsIndexJson
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

function downloadError(target: HubTarget, hubUrl: string, error: unknown): TokenscopeError {
  let host = hubUrl;
  try {
    host = new URL(hubUrl).host;
  } catch {}
  const status = (error as { statusCode?: unknown }).statusCode;
  const [what, hint] =
    status === 401 || status === 403
      ? [
          `access denied (HTTP ${status}): the model is gated or private`,
          "Accept the model's licence on its hub page and set HF_TOKEN (or pass accessToken).",
        ]
      : status === 404
        ? ["no such model or revision (HTTP 404)", "Check the id and the revision."]
        : typeof status === "number"
          ? [`the hub answered HTTP ${status}`, "Try again later."]
          : [
              `the hub could not be reached (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)})`,
              "Check the network connection or the hub endpoint (HF_ENDPOINT); a model already in the cache loads with offline: true (or HF_HUB_OFFLINE=1).",
            ];
  return new TokenscopeError(
    "MODEL_LOAD_FAILED",
    `Cannot download "${target.repo}" (revision ${target.revision}) from ${host}: ${what}.`,
    { hint, details: { repo: target.repo, revision: target.revision, host, status }, cause: error },
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
async function downloadSnapshot(target: HubTarget, options: ResolveHfModelOptions, hubUrl: string) {
  const hub = await import("@huggingface/hub");
  const accessToken = options.accessToken ?? process.env["HF_TOKEN"];
  const params = {
    hubUrl,
    ...(accessToken ? { accessToken } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
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
    await writeFile(refPath, commit);
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
      (JSON.parse(await readFile(await download(SAFETENSORS_INDEX_FILE), "utf8")) as SafetensorsIndexJson)
        .weight_map,
  );
  if (!files.weights) return { commit, folder: undefined };
  const paths = [...files.metadata, ...files.weights];
  for (const [index, path] of paths.entries()) {
    options.onFile?.(path, index, paths.length);
    await download(path);
  }
  return { commit, folder: join(target.storage, "snapshots", commit) };
}

/**
 * Resolves a model reference to a local folder: an existing folder path is used as it is; a hub
 * id ("org/name", optionally "org/name@revision") is looked up in the standard Hugging Face cache
 * and its config, tokenizer, chat template and safetensors files are downloaded there with
 * `@huggingface/hub` (nothing else: no other weight formats, no ONNX exports). Offline (option or
 * `HF_HUB_OFFLINE=1`) the cache alone answers and the network is never touched; online, a hub that
 * cannot be reached falls back to a complete cached copy (with `warning` set).
 * @throws TokenscopeError MODEL_LOAD_FAILED when a path does not exist, offline and not cached
 *   (saying how to fetch it), the repository has no safetensors weights, or the hub fails (naming
 *   the id, the host and what to do).
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
  let downloaded: Awaited<ReturnType<typeof downloadSnapshot>>;
  try {
    downloaded = await withoutDownloadLogs(() => downloadSnapshot(target, options, hubUrl));
  } catch (error) {
    const failure = downloadError(target, hubUrl, error);
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
