import ansis, { Ansis as AnsisFactory } from "ansis";

type Ansis = typeof ansis;

/**
 * Where a command writes. Commands never touch `process.stdout` directly, so
 * tests run them in-process and read what they printed.
 */
export interface CliIO {
  /** Data (tables, JSON): what a pipe should receive. */
  stdout(text: string): void;
  /** Messages, progress and errors. */
  stderr(text: string): void;
  /** Colours for this stream; plain when NO_COLOR is set or output is not a terminal. */
  color: Ansis;
  /** Terminal width in columns (80 when unknown). */
  columns: number;
  /** Where progress bars go: stderr when it is a terminal; absent otherwise (no bars in pipes, CI, tests). */
  progressOutput?: NodeJS.WriteStream;
}

/**
 * The real terminal. ansis detects colour support (TTY, FORCE_COLOR, --no-color); NO_COLOR, when set
 * and non-empty, turns colours off even where FORCE_COLOR is set too (no-color.org).
 */
export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    color: process.env["NO_COLOR"] ? new AnsisFactory(0) : ansis,
    columns: process.stdout.columns || 80,
    ...(process.stderr.isTTY && !process.env["CI"] ? { progressOutput: process.stderr } : {}),
  };
}

/** An in-memory IO for tests: colours off, 100 columns. */
export function memoryIO(): CliIO & { out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    stdout: (text) => {
      out += text;
    },
    stderr: (text) => {
      err += text;
    },
    color: new AnsisFactory(0),
    columns: 100,
    out: () => out,
    err: () => err,
  };
}

/** Prints `value` as indented JSON followed by a newline. */
export function printJson(io: CliIO, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
