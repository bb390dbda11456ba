import { TokenscopeError } from "../errors/index.ts";
import type { AttributionResult, SequenceAttribution } from "../result/types.ts";
import { READABLE_SCHEMA_VERSIONS, SCHEMA_VERSION } from "../result/types.ts";
import { quoteForMessage } from "../text/quote-for-message.ts";
import { TOOL_VERSION } from "../version.ts";
import { formatIssue, formatPath, MAX_LISTED_ISSUES } from "./issues.ts";
import { decodeRawAttributions, type EncodedTensor } from "./raw-tensor.ts";
import { type SavedResult, type SavedSequenceAttribution, savedResultSchema } from "./result-schema.ts";

/** Options of {@link validateResult}. */
export interface ValidateOptions {
  /** Names where the value came from (a file path) in error messages. */
  source?: string;
}

/**
 * Checks that `value` (the parsed JSON of a saved result) is a complete,
 * self-consistent attribution result of the schema version this build reads,
 * and returns it with raw tensors decoded. Throws `INVALID_RESULT` naming the
 * first bad field (more in `details.issues`), or `UNSUPPORTED_SCHEMA_VERSION`.
 */
export function validateResult(value: unknown, options: ValidateOptions = {}): AttributionResult {
  checkSchemaVersion(value, options.source);
  const parsed = savedResultSchema.safeParse(value);
  if (!parsed.success) {
    throw invalidResultError(
      "INVALID_RESULT",
      parsed.error.issues.map((issue) => formatIssue(issue)),
      options.source,
    );
  }
  return decodeResult(parsed.data, options.source);
}

/**
 * The error for a list of formatted issues: the first in the message, the
 * first {@link MAX_LISTED_ISSUES} in `details.issues`.
 */
export function invalidResultError(
  code: "INVALID_RESULT" | "INVALID_INPUT",
  issues: string[],
  source: string | undefined,
): TokenscopeError {
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  const what =
    code === "INVALID_RESULT"
      ? `${source ?? "The value"} is not a valid tokenscope result`
      : "Cannot save the result";
  return new TokenscopeError(code, `${what}: ${issues[0]}${more}.`, {
    hint:
      code === "INVALID_RESULT"
        ? "The file was changed or damaged after it was written; re-run the attribution to recreate it."
        : "The result does not match the AttributionResult contract; fix the code that produced it.",
    details: {
      ...(source ? { source } : {}),
      issues: issues.slice(0, MAX_LISTED_ISSUES),
      issueCount: issues.length,
    },
  });
}

function checkSchemaVersion(value: unknown, source: string | undefined): void {
  const label = source ?? "The value";
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const found = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new TokenscopeError(
      "INVALID_RESULT",
      `${label} is not a tokenscope result: expected a JSON object, got ${found}.`,
      {
        hint: "Pass a file written by saveResult or `tokenscope attribute --out`.",
        details: { ...(source ? { source } : {}), issues: [`expected a JSON object, got ${found}`] },
      },
    );
  }
  const version = (value as { schemaVersion?: unknown }).schemaVersion;
  if (version === undefined) {
    throw new TokenscopeError(
      "INVALID_RESULT",
      `${label} is not a tokenscope result: schemaVersion is missing.`,
      {
        hint: "Pass a file written by saveResult or `tokenscope attribute --out`.",
        details: { ...(source ? { source } : {}), issues: ["schemaVersion: missing (expected number)"] },
      },
    );
  }
  if (typeof version === "number" && READABLE_SCHEMA_VERSIONS.includes(version)) return;
  const newer = typeof version === "number" && version > SCHEMA_VERSION;
  throw new TokenscopeError(
    "UNSUPPORTED_SCHEMA_VERSION",
    `${label} has schemaVersion ${quoteForMessage(version)}; this build of tokenscope (${TOOL_VERSION}) reads schemaVersion ${new Intl.ListFormat("en", { type: "conjunction" }).format(READABLE_SCHEMA_VERSIONS.map(String))}.`,
    {
      hint: newer
        ? "It was written by a newer tokenscope: upgrade @tokenscope/core (or the tokenscope CLI) to read it, or re-run the attribution with this version."
        : "Re-run the attribution with this version of tokenscope to write a result it can read.",
      details: { ...(source ? { source } : {}), fileVersion: version, supportedVersion: SCHEMA_VERSION },
    },
  );
}

function decodeResult(saved: SavedResult, source: string | undefined): AttributionResult {
  return {
    schemaVersion: SCHEMA_VERSION,
    info: saved.info,
    sequences: saved.sequences.map((sequence, index) => decodeSequence(sequence, index, source)),
  };
}

function decodeSequence(
  saved: SavedSequenceAttribution,
  index: number,
  source: string | undefined,
): SequenceAttribution {
  const { rawSourceAttributions, rawTargetAttributions, ...rest } = saved;
  const sequence: SequenceAttribution = rest;
  if (rawSourceAttributions) {
    sequence.rawSourceAttributions = decodeTensor(
      rawSourceAttributions,
      ["sequences", index, "rawSourceAttributions"],
      source,
    );
  }
  if (rawTargetAttributions) {
    sequence.rawTargetAttributions = decodeTensor(
      rawTargetAttributions,
      ["sequences", index, "rawTargetAttributions"],
      source,
    );
  }
  return sequence;
}

function decodeTensor(encoded: EncodedTensor, path: (string | number)[], source: string | undefined) {
  try {
    return decodeRawAttributions(encoded);
  } catch (error) {
    const issue = `${formatPath([...path, "data"])}: not valid base64 (${(error as Error).message})`;
    throw invalidResultError("INVALID_RESULT", [issue], source);
  }
}
