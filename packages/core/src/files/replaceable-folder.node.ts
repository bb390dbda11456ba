import type { Dirent } from "node:fs";
import { realpath } from "node:fs/promises";
import { homedir } from "node:os";
import { parse, sep } from "node:path";
import type { TokenscopeError } from "../errors/index.ts";
import { ioError } from "./paths.node.ts";

/*
 * Which existing folders the folder writer may replace. Replacing removes the old folder
 * recursively, so it is allowed only for what tokenscope writes: a model folder (`models random`,
 * the Hugging Face layout). A careless `--out . --force` once removed a whole repository.
 */

/**
 * The files of a Hugging Face model folder, as `models random` writes one and the hub serves one:
 * config, weights (single or sharded, with their index), tokenizer files, and the repository's
 * README and .gitattributes. Nothing else, and no sub-folders.
 */
const modelFolderFiles: readonly RegExp[] = [
  /^config\.json$/,
  /^generation_config\.json$/,
  /\.safetensors$/,
  /\.safetensors\.index\.json$/,
  /^tokenizer.*\.json$/,
  /^tokenizer\.model$/,
  // Marian (opus-mt) tokenizers: a SentencePiece model per side.
  /^(source|target)\.spm$/,
  /^special_tokens_map\.json$/,
  /^added_tokens\.json$/,
  /^chat_template\.(jinja|json)$/,
  /^(vocab\.(json|txt)|merges\.txt)$/,
  /^README\.md$/,
  /^\.gitattributes$/,
];

/** What a model folder may hold, in words, for messages. */
const MODEL_FOLDER_WORDS =
  "config.json, *.safetensors and their index, tokenizer*.json, tokenizer.model, source.spm and target.spm, special_tokens_map.json, generation_config.json, vocab and merges files, README.md, .gitattributes; no sub-folders";

/** True when `inner` is `outer` or lies inside it (both absolute, links resolved). */
function isWithin(inner: string, outer: string): boolean {
  return inner === outer || inner.startsWith(outer.endsWith(sep) ? outer : `${outer}${sep}`);
}

async function realOrUndefined(path: () => string): Promise<string | undefined> {
  try {
    return await realpath(path());
  } catch {
    return undefined;
  }
}

function protectedError(target: string, why: string): TokenscopeError {
  return ioError(
    target,
    `Could not write the folder ${target}: ${why}, which tokenscope never replaces, even with --force. Nothing was written.`,
    "Pass a new folder for --out, for example ./random-model; tokenscope writes it beside and renames it into place.",
  );
}

/**
 * Refuses a folder no writer may put a folder in place of, empty or not, forced or not: the
 * filesystem root, the home folder or a folder containing it, and the current folder or a folder
 * containing it (replacing it would also leave the shell in a deleted folder).
 * @param path the folder's absolute path with links resolved; `target` is the path as given.
 * @throws TokenscopeError IO_ERROR saying which it is and what to pass instead.
 */
export async function checkNotProtectedFolder(target: string, path: string): Promise<void> {
  if (path === parse(path).root) throw protectedError(target, "it is the root of the file system");
  const cwd = await realOrUndefined(() => process.cwd());
  if (cwd !== undefined && isWithin(cwd, path)) {
    throw protectedError(
      target,
      cwd === path ? "it is the current folder" : `it contains the current folder (${cwd})`,
    );
  }
  const home = await realOrUndefined(homedir);
  if (home !== undefined && isWithin(home, path)) {
    throw protectedError(
      target,
      home === path ? "it is the home folder" : `it contains the home folder (${home})`,
    );
  }
}

/**
 * Refuses to replace a non-empty folder that is not a model folder: one holding `.git` (a
 * repository), a sub-folder, or any file outside {@link modelFolderFiles}. Says what it found, so
 * that the user can see why.
 * @throws TokenscopeError IO_ERROR naming the first entry that is not a model file.
 */
export function checkReplaceableFolder(target: string, entries: readonly Dirent[]): void {
  const git = entries.find((entry) => entry.name === ".git");
  if (git) {
    throw ioError(
      target,
      `Could not write the folder ${target}: it holds .git, so it is a Git repository, which tokenscope never replaces, even with --force. Nothing was written.`,
      "Pass a new folder for --out; to reuse this one, empty it yourself first.",
    );
  }
  const foreign = entries.find(
    (entry) => entry.isDirectory() || !modelFolderFiles.some((pattern) => pattern.test(entry.name)),
  );
  if (foreign) {
    const what = foreign.isDirectory() ? `the sub-folder ${foreign.name}` : `${foreign.name}`;
    throw ioError(
      target,
      `Could not write the folder ${target}: it holds ${what}, so it is not a model folder, and tokenscope replaces only model folders (${MODEL_FOLDER_WORDS}), even with --force. Nothing was written.`,
      "Pass a new folder for --out; to reuse this one, empty it yourself first.",
    );
  }
}
