export { escapeControlCharacters } from "./control-characters.ts";
export { jsonNestingDepth } from "./json-depth.ts";
export { jsonSafe } from "./json-safe.ts";
export { quoteForMessage } from "./quote-for-message.ts";
export { type TerminalSafeOptions, terminalSafe } from "./terminal-safe.ts";
