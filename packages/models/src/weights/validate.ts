import { TokenscopeError } from "@tokenscope/core";
import { isPendingTensor } from "./lazy-tensor.ts";
import { expectedTensorDims } from "./names.ts";
import type { DecoderConfig, DecoderWeights } from "./types.ts";

const positiveIntegerFields = [
  "vocabSize",
  "hiddenSize",
  "intermediateSize",
  "numLayers",
  "numHeads",
  "numKeyValueHeads",
  "headDim",
  "contextLength",
] as const;

/**
 * Checks that a config describes a buildable model (positive sizes, heads that divide evenly).
 * `source` names the file or folder the config came from, for the error message.
 */
export function validateDecoderConfig(config: DecoderConfig, source: string): void {
  const fail = (what: string): never => {
    throw new TokenscopeError("MODEL_LOAD_FAILED", `${source}: ${what}.`, {
      hint: "The file is damaged or is not a Llama-family checkpoint; check how it was exported.",
      details: { source, config },
    });
  };
  for (const field of positiveIntegerFields) {
    const value = config[field];
    if (!Number.isSafeInteger(value) || value <= 0) fail(`${field} must be a positive integer, got ${value}`);
  }
  if (config.numHeads % config.numKeyValueHeads !== 0) {
    fail(`${config.numHeads} query heads cannot be grouped over ${config.numKeyValueHeads} key/value heads`);
  }
  if (config.headDim % 2 !== 0) fail(`rotary embeddings need an even head size, got ${config.headDim}`);
  if (!(config.rmsNormEps > 0) || !(config.ropeTheta > 0)) {
    fail(`rmsNormEps and ropeTheta must be positive, got ${config.rmsNormEps} and ${config.ropeTheta}`);
  }
}

/**
 * Checks that `weights` holds exactly the tensors its config calls for, each with the expected
 * dims and a data array of the matching length. Loaders call it so that a wrong file fails at load
 * with the tensor named, not later inside a graph. Tensors `isFiled` says live in a weight file
 * (weights/weight-file.ts) have no data in memory, and lazy ones (lazy-tensor.ts) none yet: only
 * their dims are checked.
 */
export function validateDecoderWeights(
  weights: DecoderWeights,
  source: string,
  isFiled: (name: string) => boolean = () => false,
): void {
  validateDecoderConfig(weights.config, source);
  const expected = expectedTensorDims(weights.config);
  const problems: string[] = [];
  for (const [name, dims] of expected) {
    const tensor = weights.tensors.get(name);
    if (!tensor) {
      problems.push(`${name} is missing`);
    } else if (tensor.dims.join(",") !== dims.join(",")) {
      problems.push(`${name} has dims [${tensor.dims}], expected [${dims}]`);
    } else if (
      !isPendingTensor(tensor) &&
      !isFiled(name) &&
      tensor.data.length !== dims.reduce((a, b) => a * b, 1)
    ) {
      problems.push(`${name} holds ${tensor.data.length} values for dims [${dims}]`);
    }
  }
  for (const name of weights.tensors.keys()) {
    if (!expected.has(name)) problems.push(`${name} is not a tensor of this architecture`);
  }
  if (problems.length > 0) {
    throw new TokenscopeError(
      "MODEL_LOAD_FAILED",
      `${source}: the weights do not match the config: ${problems.slice(0, 5).join("; ")}${
        problems.length > 5 ? ` (and ${problems.length - 5} more)` : ""
      }.`,
      {
        hint: "The config (header or metadata) and the tensors disagree; re-export the checkpoint.",
        details: { source, problems },
      },
    );
  }
}
