import { join } from "node:path";
import { TokenscopeError, throwIfAborted } from "@tokenscope/core";
import { writeFileAtomically, writeFolderAtomically } from "@tokenscope/core/node";

/*
 * What the random-folder writers (`writeRandomHfFolder`, `writeRandomEncoderDecoderFolder`) share:
 * the messages of `tokenscope models random`, the JSON layout, and the atomic folder write.
 */

/** Refuses an option of `tokenscope models random`: INVALID_INPUT, naming the flag in `what`. */
export function invalid(what: string, hint: string): never {
  throw new TokenscopeError("INVALID_INPUT", `models random: ${what}.`, { hint });
}

/** Refuses `--name` unless it is absent or a positive safe integer. */
export function positive(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
    invalid(
      `--${name} must be a positive integer, got ${value}`,
      `Pass a positive whole number for --${name}.`,
    );
  }
}

/** JSON as transformers writes it: two-space indents, a final newline. */
export const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** Lets a pending Ctrl-C be seen between two long synchronous steps, and stops if it was. */
export async function checkpoint(signal: AbortSignal | undefined): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  throwIfAborted(signal);
}

/**
 * Writes the files `produce` makes into `out` through `writeFolderAtomically` (written beside and
 * renamed into place; `force` replaces a model folder only), each file atomically, and returns
 * what `produce` returned with the file names.
 */
export async function writeModelFolder<T>(
  out: string,
  options: { force?: boolean | undefined; signal?: AbortSignal | undefined },
  produce: () => Promise<{ result: T; files: Map<string, string | Uint8Array> }>,
): Promise<{ result: T; names: string[] }> {
  const { signal } = options;
  let written: { result: T; names: string[] } | undefined;
  await writeFolderAtomically(
    out,
    async (folder) => {
      const { result, files } = await produce();
      for (const [name, content] of files)
        await writeFileAtomically(join(folder, name), content, signal ? { signal } : {});
      written = { result, names: [...files.keys()] };
    },
    { force: options.force === true, ...(signal ? { signal } : {}) },
  );
  return written!;
}
