import type { AttributionMethod } from "@tokenscope/core";
import { z } from "zod";
import { CONTRASTIVE_DESCRIPTION } from "./contrast-rows.ts";
import { attributeFromGradients } from "./step-gradients.ts";

const parameters = z.strictObject({});

/** Parameters of {@link inputXGradient} (none). */
export type InputXGradientParameters = z.output<typeof parameters>;

/** `input_x_gradient`: input embedding times the gradient, per embedding component. */
export const inputXGradient: AttributionMethod<InputXGradientParameters> = {
  id: "input_x_gradient",
  family: "gradient",
  summary: "Input embedding times the gradient of the attributed function, per embedding component (signed).",
  description:
    "For each target step t, x ⊙ ∂f_t/∂x: every input embedding component times the gradient of the " +
    "attributed function (probability of the target token by default) with respect to it, signed, kept per " +
    "embedding dimension. attribute() then reduces each token's vector by its L2 norm and normalises per " +
    "step, as Inseq does; use the `sum` aggregator for the signed first-order Taylor contribution. " +
    "Target-prefix tokens u < t are attributed from the same gradient; all steps of a sequence share one " +
    "gradient call. Same as Inseq's `input_x_gradient` (Captum's InputXGradient). Takes no parameters." +
    " " +
    CONTRASTIVE_DESCRIPTION,
  references: ["https://arxiv.org/abs/1605.01713"],
  requires: ["embed", "gradients"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  run(context) {
    return attributeFromGradients(context, "input_x_gradient", (gradient, embeddings) =>
      Float64Array.from(gradient, (value, index) => value * embeddings[index]!),
    );
  },
};
