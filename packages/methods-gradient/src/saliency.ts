import type { AttributionMethod } from "@tokenscope/core";
import { z } from "zod";
import { CONTRASTIVE_DESCRIPTION } from "./contrast-rows.ts";
import { attributeFromGradients } from "./step-gradients.ts";

const parameters = z.strictObject({
  abs: z
    .boolean()
    .default(true)
    .describe("Take the absolute value of each gradient component (default true, as Captum's Saliency)."),
});

/** Parameters of {@link saliency}. */
export type SaliencyParameters = z.output<typeof parameters>;

/** `saliency`: the gradient of the attributed function with respect to each input embedding component. */
export const saliency: AttributionMethod<SaliencyParameters> = {
  id: "saliency",
  family: "gradient",
  summary: "Gradient of the attributed function with respect to the input embeddings (absolute by default).",
  description:
    "For each target step t, the gradient ∂f_t/∂x of the attributed function f_t (probability of the target " +
    "token by default) with respect to every input embedding component x, kept per embedding dimension; with " +
    "`abs` (default true, as Captum's Saliency) its absolute value. attribute() then reduces each token's " +
    "vector by its L2 norm and normalises per step, as Inseq does. Target-prefix tokens u < t are attributed " +
    "from the same gradient. All steps of a sequence go to the model as identical rows with per-row " +
    "objectives in one gradient call. Same as Inseq's `saliency` (Simonyan et al., 2014)." +
    " " +
    CONTRASTIVE_DESCRIPTION,
  references: ["https://arxiv.org/abs/1312.6034"],
  requires: ["embed", "gradients"],
  supports: { targetPrefix: true, contrastive: true, batching: true },
  parameters,
  run(context) {
    const { abs } = context.parameters;
    return attributeFromGradients(context, "saliency", (gradient) =>
      abs ? Float64Array.from(gradient, Math.abs) : gradient,
    );
  },
};
