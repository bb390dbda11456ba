/**
 * @packageDocumentation
 * Node-only helpers of @tokenscope/core: saving and loading results as files, and the one way
 * tokenscope writes a file or a folder. This entry point only exports.
 */
export {
  type BoundedReadOptions,
  type CompressionRatioGuard,
  readFileBounded,
  type SizeBound,
} from "./files/read-file.node.ts";
export {
  checkWritableFile,
  type FileToWrite,
  type WriteFileOptions,
  writeFileAtomically,
  writeFilesAtomically,
} from "./files/write-file.node.ts";
export {
  checkWritableFolder,
  type WriteFolderOptions,
  writeFolderAtomically,
} from "./files/write-folder.node.ts";
export type { LoadResultOptions } from "./serialization/files.node.ts";
export {
  loadResult,
  loadResults,
  perSequencePath,
  type SaveOptions,
  saveResult,
} from "./serialization/files.node.ts";
