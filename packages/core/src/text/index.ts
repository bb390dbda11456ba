export { escapeControlCharacters } from "./control-characters.ts";
export { jsonSafe } from "./json-safe.ts";
export { type TerminalSafeOptions, terminalSafe } from "./terminal-safe.ts";
