import { z } from "zod";
import { SCHEMA_VERSION } from "../result/types.ts";
import { base64ByteLength } from "./base64.ts";
import { findNonJson } from "./json-value.ts";
import { bytesPerElement } from "./raw-tensor.ts";

/*
 * The saved form of an AttributionResult, schemaVersion 1 or 2. Objects whose keys
 * carry data (sequences, tokens, tensors) reject unknown keys, so a misspelt
 * field fails loudly instead of being dropped; the run info ignores unknown keys.
 */

/** A free-form JSON object (extras, parameters); reports the path of the first non-JSON value. */
export const jsonObjectSchema = z.record(z.string(), z.unknown()).superRefine((value, context) => {
  const found = findNonJson(value);
  if (found) {
    context.addIssue({
      code: "custom",
      path: found.path,
      message: `expected a JSON value (string, finite number, boolean, null, array or plain object), got ${found.found}`,
    });
  }
});

/** A saved token. `span` must also lie inside its sequence's text (checked by the sequence). */
export const tokenSchema = z.strictObject({
  id: z.int().nonnegative().nullable(),
  text: z.string(),
  span: z.tuple([z.int().nonnegative(), z.int().nonnegative()]).nullable(),
  special: z.boolean(),
  piece: z.string().optional(),
  members: z.array(z.int().nonnegative()).min(1).optional(),
});

/** A saved score matrix: rows of finite numbers or null (empty cells). */
export const attributionMatrixSchema = z.array(z.array(z.number().nullable()));

/** A saved raw tensor: dims, element type and little-endian bytes in base64. */
export const encodedTensorSchema = z.strictObject({
  dims: z.tuple([z.int().nonnegative(), z.int().nonnegative(), z.int().nonnegative()]),
  dtype: z.enum(["float16", "float32", "float64"]),
  encoding: z.literal("base64"),
  data: z.base64(),
});

/** A saved aggregation record. */
export const aggregationRecordSchema = z.strictObject({
  id: z.string().min(1),
  parameters: jsonObjectSchema,
});

type Context = z.RefinementCtx<SavedSequence>;
type SavedSequence = z.output<typeof sequenceShape>;

const sequenceShape = z.strictObject({
  sourceText: z.string(),
  targetText: z.string(),
  source: z.array(tokenSchema),
  target: z.array(tokenSchema),
  sourceAttributions: attributionMatrixSchema,
  targetAttributions: attributionMatrixSchema.nullable(),
  rawSourceAttributions: encodedTensorSchema.optional(),
  rawTargetAttributions: encodedTensorSchema.optional(),
  stepScores: z.record(z.string(), z.array(z.number().nullable())),
  extras: jsonObjectSchema,
  aggregation: z.array(aggregationRecordSchema),
  metrics: z
    .strictObject({
      steps: z.array(
        z
          .looseObject({ step: z.int().nonnegative(), target: z.string() })
          .catchall(z.union([z.number(), z.string(), z.null()])),
      ),
      sequence: z.record(z.string(), z.number().nullable()),
      parameters: jsonObjectSchema.optional(),
    })
    .optional(),
  contrast: z
    .strictObject({
      sourceText: z.string().optional(),
      source: z.array(tokenSchema).optional(),
      targetText: z.string(),
      target: z.array(tokenSchema),
      alignment: z.array(z.int().nonnegative()),
    })
    .optional(),
});

function checkContrast(
  contrast: NonNullable<SavedSequence["contrast"]>,
  targets: number,
  context: Context,
): void {
  checkSpans(contrast.target, contrast.targetText, "contrast target", context);
  if ((contrast.source === undefined) !== (contrast.sourceText === undefined)) {
    context.addIssue({
      code: "custom",
      path: ["contrast", "source"],
      message: "a contrast source needs both source and sourceText",
    });
  } else if (contrast.source && contrast.sourceText !== undefined) {
    checkSpans(contrast.source, contrast.sourceText, "contrast source", context);
  }
  if (contrast.alignment.length !== targets) {
    context.addIssue({
      code: "custom",
      path: ["contrast", "alignment"],
      message: `expected ${targets} contrast indices (one per target token), got ${contrast.alignment.length}`,
    });
  }
  const outside = contrast.alignment.findIndex((index) => index >= contrast.target.length);
  if (outside >= 0) {
    context.addIssue({
      code: "custom",
      path: ["contrast", "alignment", outside],
      message: `contrast index ${contrast.alignment[outside]} is outside the ${contrast.target.length} contrast tokens`,
    });
  }
}

/** A saved sequence, with every shape cross-checked against its token counts. */
export const sequenceSchema = sequenceShape.superRefine((sequence, context) => {
  checkSpans(sequence.source, sequence.sourceText, "source", context);
  checkSpans(sequence.target, sequence.targetText, "target", context);
  const targets = sequence.target.length;
  if (sequence.contrast) checkContrast(sequence.contrast, targets, context);
  checkMatrix(sequence.sourceAttributions, targets, sequence.source.length, "source", context, [
    "sourceAttributions",
  ]);
  if (sequence.targetAttributions) {
    checkMatrix(sequence.targetAttributions, targets, targets, "target", context, ["targetAttributions"]);
  }
  for (const [id, scores] of Object.entries(sequence.stepScores)) {
    if (scores.length !== targets) {
      context.addIssue({
        code: "custom",
        path: ["stepScores", id],
        message: `expected ${targets} scores (one per target token), got ${scores.length}`,
      });
    }
  }
  if (sequence.rawSourceAttributions) {
    checkTensor(sequence.rawSourceAttributions, targets, sequence.source.length, "source", context, [
      "rawSourceAttributions",
    ]);
  }
  if (sequence.rawTargetAttributions) {
    checkTensor(sequence.rawTargetAttributions, targets, targets, "target", context, [
      "rawTargetAttributions",
    ]);
  }
});

function checkSpans(
  tokens: SavedSequence["source"],
  text: string,
  side: "source" | "target" | "contrast source" | "contrast target",
  context: Context,
): void {
  const where = side.startsWith("contrast") ? ["contrast", side.slice(9)] : [side];
  tokens.forEach((token, index) => {
    if (!token.span) return;
    const [start, end] = token.span;
    const path = [...where, index, "span"];
    if (start > end) {
      context.addIssue({ code: "custom", path, message: `start ${start} is after end ${end}` });
    } else if (end > text.length) {
      context.addIssue({
        code: "custom",
        path,
        message: `end ${end} is past the end of ${side}Text (length ${text.length})`,
      });
    }
  });
}

function checkMatrix(
  matrix: (number | null)[][],
  rows: number,
  cells: number,
  columnSide: "source" | "target",
  context: Context,
  path: (string | number)[],
): void {
  if (matrix.length !== rows) {
    context.addIssue({
      code: "custom",
      path,
      message: `expected ${rows} rows (one per target token), got ${matrix.length}`,
    });
    return;
  }
  matrix.forEach((row, index) => {
    if (row.length !== cells) {
      context.addIssue({
        code: "custom",
        path: [...path, index],
        message: `expected ${cells} cells (one per ${columnSide} token), got ${row.length}`,
      });
    }
  });
}

function checkTensor(
  tensor: z.output<typeof encodedTensorSchema>,
  targets: number,
  columns: number,
  columnSide: "source" | "target",
  context: Context,
  path: (string | number)[],
): void {
  const [rows, cells, dims] = tensor.dims;
  if (rows !== targets || cells !== columns) {
    context.addIssue({
      code: "custom",
      path: [...path, "dims"],
      message: `expected [${targets}, ${columns}, d] (target tokens × ${columnSide} tokens × dimensions), got [${tensor.dims.join(", ")}]`,
    });
    return;
  }
  const expectedBytes = rows * cells * dims * bytesPerElement(tensor.dtype);
  const actualBytes = base64ByteLength(tensor.data);
  if (actualBytes !== expectedBytes) {
    context.addIssue({
      code: "custom",
      path: [...path, "data"],
      message: `expected ${rows * cells * dims} ${tensor.dtype} values (${expectedBytes} bytes), got ${actualBytes} bytes`,
    });
  }
}

/** What ran, as saved. */
export const runInfoSchema = z.object({
  model: z.object({
    id: z.string().min(1),
    revision: z.string().optional(),
    architecture: z.string().optional(),
  }),
  method: z.object({ id: z.string().min(1), parameters: jsonObjectSchema }),
  attributedFunction: z.object({ id: z.string().min(1), parameters: jsonObjectSchema }).nullable(),
  toolVersion: z.string().min(1),
  startedAt: z.iso.datetime({ offset: true }),
  durationMs: z.number().nonnegative(),
  execution: z
    .object({
      runtime: z.string().min(1),
      device: z.string().min(1),
      requestedDevice: z.string().min(1).optional(),
      threads: z.int().positive().optional(),
      notes: z.array(z.string()),
    })
    .optional(),
  extra: jsonObjectSchema.optional(),
});

/** The saved form of an attribution result, schemaVersion 1, 2 (may carry `metrics`) or 3 (`contrast`). */
export const savedResultSchema = z.object({
  schemaVersion: z.union([z.literal(1), z.literal(2), z.literal(SCHEMA_VERSION)]),
  info: runInfoSchema,
  sequences: z.array(sequenceSchema),
});

/** A saved result as it appears in a file (raw tensors still encoded). */
export type SavedResult = z.output<typeof savedResultSchema>;

/** A saved sequence as it appears in a file. */
export type SavedSequenceAttribution = SavedSequence;
