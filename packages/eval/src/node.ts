/**
 * @packageDocumentation
 * The Node-only part of `@tokenscope/eval`: the file-backed store of resumable dataset runs. This entry
 * point only exports.
 */
export {
  createFileRunStore,
  defaultItemFileName,
  type FileRunStoreOptions,
  RUN_INDEX_FILE,
  RUN_LOCK_FILE,
  type RunIndex,
} from "./node/file-run-store.ts";
