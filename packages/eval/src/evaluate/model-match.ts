import { type AttributionResult, type LanguageModel, TokenscopeError } from "@tokenscope/core";

function normalizeReference(reference: string): string {
  let text = reference.trim().replaceAll("\\", "/");
  while (text.includes("//") && !/^[a-z]+:\/\//i.test(text)) text = text.replace("//", "/");
  while (text.startsWith("./")) text = text.slice(2);
  while (text.length > 1 && text.endsWith("/")) text = text.slice(0, -1);
  return text;
}

function isPath(reference: string): boolean {
  return /^(\/|\.{1,2}(\/|$)|~|[a-z]:\/|file:)/i.test(reference) || reference.split("/").length > 2;
}

function lastSegment(reference: string): string {
  const parts = reference.split("/");
  return parts[parts.length - 1]!;
}

/**
 * Whether a result's model reference and a loaded model's name the same model. References are
 * compared after trimming, turning `\` into `/`, and dropping `./` prefixes and trailing slashes. Equal
 * references match. When either is a local path (starts with `/`, `.`, `~`, a drive letter or `file:`,
 * or has more than one `/`), the last path segments are compared, so `../models/stories260K` matches
 * `/work/models/stories260K` (the same folder reached from elsewhere) but a hub id `org/name` must be
 * equal (case-sensitively). Different revisions, when both are known, never match.
 */
export function sameModel(
  resultModel: { id: string; revision?: string | undefined },
  modelInfo: { id: string; revision?: string | undefined },
): boolean {
  if (resultModel.revision && modelInfo.revision && resultModel.revision !== modelInfo.revision) return false;
  const a = normalizeReference(resultModel.id);
  const b = normalizeReference(modelInfo.id);
  if (a === b) return true;
  if (isPath(a) || isPath(b)) return lastSegment(a) === lastSegment(b) && lastSegment(a) !== "";
  return false;
}

/** Throws `INVALID_INPUT` when the result was made with another model than `model` (see {@link sameModel}). */
export function checkModelMatch(result: AttributionResult, model: LanguageModel): void {
  if (sameModel(result.info.model, model.info)) return;
  throw new TokenscopeError(
    "INVALID_INPUT",
    `The result was attributed with model "${result.info.model.id}"${result.info.model.revision ? ` (revision ${result.info.model.revision})` : ""} but the model given is "${model.info.id}"${model.info.revision ? ` (revision ${model.info.revision})` : ""}; faithfulness is only meaningful on the model that was explained.`,
    {
      hint: "Pass the same model (--model) the result was made with, or allowModelMismatch: true if they are the same weights under another name.",
      details: {
        resultModel: result.info.model,
        model: { id: model.info.id, revision: model.info.revision },
      },
    },
  );
}
