/**
 * @packageDocumentation
 * Node-only helpers of @tokenscope/core: saving and loading results as files.
 * This entry point only exports.
 */
export {
  loadResult,
  loadResults,
  perSequencePath,
  type SaveOptions,
  saveResult,
  writeFileAtomically,
} from "./serialization/files.node.ts";
