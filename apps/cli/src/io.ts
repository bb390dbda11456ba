import { jsonSafe, terminalSafe } from "@tokenscope/core";
import ansis, { Ansis as AnsisFactory } from "ansis";
import { installInterruptHandler } from "./interrupt.ts";

type Ansis = typeof ansis;

/**
 * Where a command writes. Commands never touch `process.stdout` directly, so
 * tests run them in-process and read what they printed.
 */
export interface CliIO {
  /**
   * Data (tables, JSON): what a pipe should receive. Passed through {@link terminalSafe}: control
   * characters from a model, a saved result or an argument show as visible stand-ins.
   */
  stdout(text: string): void;
  /** Messages, progress and errors; made terminal-safe as stdout is. */
  stderr(text: string): void;
  /** Colours for this stream; plain when NO_COLOR is set or output is not a terminal. */
  color: Ansis;
  /** Terminal width in columns (80 when unknown). */
  columns: number;
  /** Where progress bars go: stderr when it is a terminal; absent otherwise (no bars in pipes, CI, tests). */
  progressOutput?: NodeJS.WriteStream;
  /**
   * Aborts when the user presses Ctrl-C (see interrupt.ts): every command passes it to the library
   * calls it makes and stops promptly. Absent in tests that run commands in-process.
   */
  signal?: AbortSignal;
}

/**
 * `write` behind the one output gate: what a command prints can never move the cursor, clear the
 * screen or write the clipboard, whatever text from a vocabulary, a saved result or the command line
 * it holds. Colour sequences pass only when colours are on (the instance's level).
 */
function gated(write: (text: string) => void, color: Ansis): (text: string) => void {
  const keepColours = color.level > 0;
  return (text) => write(terminalSafe(text, { keepColours }));
}

/**
 * The real terminal. ansis detects colour support (TTY, FORCE_COLOR, --no-color); NO_COLOR, when set
 * and non-empty, turns colours off even where FORCE_COLOR is set too (no-color.org). Everything
 * written passes {@link terminalSafe}.
 */
export function processIO(): CliIO {
  const color = process.env["NO_COLOR"] ? new AnsisFactory(0) : ansis;
  const stderr = gated((text) => process.stderr.write(text), color);
  return {
    stdout: gated((text) => process.stdout.write(text), color),
    stderr,
    signal: installInterruptHandler(stderr).signal,
    color,
    columns: process.stdout.columns || 80,
    ...(process.stderr.isTTY && !process.env["CI"] ? { progressOutput: process.stderr } : {}),
  };
}

/** An in-memory IO for tests: colours off, 100 columns, terminal-safe as {@link processIO}. */
export function memoryIO(): CliIO & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const color = new AnsisFactory(0);
  return {
    stdout: gated((text) => {
      out += text;
    }, color),
    stderr: gated((text) => {
      err += text;
    }, color),
    color,
    columns: 100,
    out: () => out,
    err: () => err,
  };
}

/**
 * `text` from outside the CLI (an error message, a token, a model's config) with every escape
 * sequence made visible, colour sequences included. Wrap such text before colouring it: in colour
 * mode the output gate lets colours through, and colours from a vocabulary could still hide what
 * follows (black on black) or disguise it.
 */
export function plainText(text: string): string {
  return terminalSafe(text);
}

/**
 * Prints a JSON text followed by a newline, with the characters JSON.stringify leaves raw (DEL, C1,
 * U+2028/2029, bidirectional controls) written as `\uXXXX` escapes: the values stay exactly what they
 * were, and the text is safe on a terminal. Every JSON the CLI prints goes through here.
 */
export function printJsonText(io: CliIO, jsonText: string): void {
  io.stdout(`${jsonSafe(jsonText.endsWith("\n") ? jsonText.slice(0, -1) : jsonText)}\n`);
}

/** Prints `value` as indented JSON followed by a newline (see {@link printJsonText}). */
export function printJson(io: CliIO, value: unknown): void {
  printJsonText(io, JSON.stringify(value, null, 2));
}
