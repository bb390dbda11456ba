import { TokenscopeError } from "../errors/index.ts";
import { limits } from "../limits/index.ts";
import type { AttributionResult } from "../result/types.ts";
import { jsonNestingDepth } from "../text/json-depth.ts";
import { gunzip, gzip, isGzip } from "./gzip.ts";
import { formatIssue } from "./issues.ts";
import { RESULT_STRUCTURE_DEPTH, stringifyJson } from "./json-value.ts";
import { DEFAULT_PRECISION, type Precision, precisions } from "./precision.ts";
import { RESULT_GZIP_RATIO_GUARD } from "./result-bounds.ts";
import { savedResultSchema } from "./result-schema.ts";
import { toSavedResult } from "./to-saved.ts";
import { invalidResultError, validateResult } from "./validate.ts";

/** Options of {@link serializeResult}. */
export interface SerializeOptions {
  /** Gzip the JSON text (default false). */
  gzip?: boolean;
  /**
   * Precision scores and raw tensors are stored at (default "float32"). Each
   * score is written with the fewest digits that identify it at that precision.
   */
  precision?: Precision;
  /** Spaces of indentation (0 to 10; default 0, one line). Rows of numbers stay on one line. */
  indent?: number;
}

/** Options of {@link parseResult}. */
export interface ParseOptions {
  /** Names where the bytes came from (a file path) in error messages. */
  source?: string;
  /**
   * The most bytes of JSON text gzipped input may expand to. Default `limits.resultTextBytes`,
   * with gzip that expands past 32 MiB and more than 50 times its size refused as a bomb; given,
   * it replaces both (the caller vouches for the input).
   */
  maxBytes?: number;
}

/**
 * Writes `result` as JSON (optionally gzipped), in the saved form that
 * {@link parseResult} reads. The saved form is validated first, so a result
 * that could not be loaded back is refused here (`INVALID_INPUT` naming the
 * field) rather than written. Runs in Node and in browsers.
 */
export function serializeResult(result: AttributionResult, options: SerializeOptions = {}): Uint8Array {
  const precision = options.precision ?? DEFAULT_PRECISION;
  const indent = options.indent ?? 0;
  checkOptions(precision, indent);
  const parsed = savedResultSchema.safeParse(toSavedResult(result, precision));
  if (!parsed.success) {
    throw invalidResultError(
      "INVALID_INPUT",
      parsed.error.issues.map((issue) => formatIssue(issue)),
      undefined,
    );
  }
  const bytes = new TextEncoder().encode(stringifyJson(parsed.data, indent));
  return options.gzip ? gzip(bytes) : bytes;
}

function checkOptions(precision: Precision, indent: number): void {
  if (!precisions.includes(precision)) {
    throw new TokenscopeError("INVALID_INPUT", `Unknown precision ${JSON.stringify(precision)}.`, {
      hint: `Use one of ${precisions.map((name) => `"${name}"`).join(", ")}.`,
      details: { precision },
    });
  }
  if (!Number.isInteger(indent) || indent < 0 || indent > 10) {
    throw new TokenscopeError("INVALID_INPUT", `indent must be an integer from 0 to 10, got ${indent}.`, {
      hint: "Use 0 for the smallest file, 2 to read it by eye.",
      details: { indent },
    });
  }
}

/**
 * Reads a saved result from JSON text or bytes (gzip detected by its magic
 * bytes 1f 8b) and validates it. Throws `INVALID_RESULT` when the input is not
 * a tokenscope result or is corrupt, `UNSUPPORTED_SCHEMA_VERSION` when another
 * schema version wrote it.
 */
export function parseResult(input: Uint8Array | string, options: ParseOptions = {}): AttributionResult {
  const text = typeof input === "string" ? input.replace(/^\uFEFF/, "") : decodeText(input, options);
  // JSON.parse and what walks its value recurse: a deep enough nesting overflows the stack, so the
  // depth is counted on the text first (one pass, stopping at the bound).
  const maxDepth = limits.jsonDepth.max + RESULT_STRUCTURE_DEPTH;
  if (jsonNestingDepth(text, maxDepth) > maxDepth) {
    throw notAResult(
      `it nests arrays or objects more than ${maxDepth.toLocaleString("en-US")} levels deep (tokenscope's limit jsonDepth is ${limits.jsonDepth.max.toLocaleString("en-US")} levels within a free-form field such as extras)`,
      options.source,
      undefined,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw notAResult(`it is not valid JSON (${(error as Error).message})`, options.source, error);
  }
  return validateResult(value, options);
}

function decodeText(input: Uint8Array, options: ParseOptions): string {
  const { source, maxBytes } = options;
  let bytes = input;
  if (isGzip(input)) {
    try {
      bytes = gunzip(
        input,
        maxBytes !== undefined
          ? { maxBytes }
          : { maxBytes: limits.resultTextBytes.max, ratioGuard: RESULT_GZIP_RATIO_GUARD },
      );
    } catch (error) {
      if ((error as { tooLarge?: boolean }).tooLarge) {
        throw new TokenscopeError(
          "INVALID_INPUT",
          `${source ?? "The input"} is refused: ${(error as Error).message}.`,
          {
            hint: "If it is a genuine result, raise the bound with parseResult(bytes, { maxBytes }).",
            details: { ...(source ? { source } : {}), limit: "resultTextBytes" },
            cause: error,
          },
        );
      }
      throw notAResult((error as Error).message, source, error);
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw notAResult("it is not UTF-8 text", source, error);
  }
}

function notAResult(problem: string, source: string | undefined, cause: unknown): TokenscopeError {
  return new TokenscopeError(
    "INVALID_RESULT",
    `${source ?? "The input"} is not a tokenscope result, or is corrupt: ${problem}.`,
    {
      hint: "Pass a file written by saveResult or `tokenscope attribute --out`; if it was, it was damaged (re-run the attribution).",
      details: { ...(source ? { source } : {}), issues: [problem] },
      cause,
    },
  );
}
