import { type DenseTensor, type Intervention, TokenscopeError } from "@tokenscope/core";
import type { RuntimeTensor } from "@tokenscope/tensor-backends";
import { residualName } from "../graphs/tensor-names.ts";
import { float32Tensor } from "./feeds.ts";

/** A validated `replaceResidual` intervention. */
export interface ResidualReplacement {
  layer: number;
  values: DenseTensor;
}

/**
 * The request's `replaceResidual` intervention, checked against the model and the batch, or
 * undefined when there is none.
 * @throws TokenscopeError INVALID_INPUT for more than one, a layer outside the model, or values whose
 *   shape is not [batch, seq, hidden].
 */
export function residualReplacement(
  interventions: readonly Intervention[] | undefined,
  shape: { batch: number; seq: number; hidden: number; numLayers: number },
): ResidualReplacement | undefined {
  const found = (interventions ?? []).filter((change) => change.kind === "replaceResidual");
  if (found.length === 0) return undefined;
  if (found.length > 1) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `${found.length} replaceResidual interventions in one request.`,
      {
        hint: "Replace the residual stream of one layer per request.",
      },
    );
  }
  const { layer, values } = found[0]!;
  if (!Number.isInteger(layer) || layer < 0 || layer >= shape.numLayers) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `replaceResidual names layer ${layer}; the model has layers 0 to ${shape.numLayers - 1}.`,
      { hint: "Give the index of a layer of this model.", details: { layer } },
    );
  }
  const expected = [shape.batch, shape.seq, shape.hidden];
  if (values.dims.length !== 3 || values.dims.some((dim, axis) => dim !== expected[axis])) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `replaceResidual values are [${values.dims.join(", ")}] but the inputs need [${expected.join(", ")}].`,
      { hint: "Give one residual row [seq, hidden] per batch row of the inputs." },
    );
  }
  return { layer, values };
}

/**
 * Feeds for a graph that starts from `residual.{layer}`: the token input swapped for the residual,
 * and only the inputs the graph declares (it drops those nothing reads, e.g. GPT-2's positions).
 */
export function residualFeeds(
  feeds: Record<string, RuntimeTensor>,
  replacement: ResidualReplacement,
  inputNames: readonly string[],
): Record<string, RuntimeTensor> {
  const all: Record<string, RuntimeTensor> = {
    ...feeds,
    [residualName(replacement.layer)]: float32Tensor(replacement.values),
  };
  return Object.fromEntries(inputNames.map((name) => [name, all[name]!]));
}
