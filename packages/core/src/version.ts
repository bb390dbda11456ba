/**
 * The version of @tokenscope/core, written into every result's run info.
 * Kept equal to package.json by `pnpm version-packages` (a test checks it).
 */
export const TOOL_VERSION = "0.0.0";
