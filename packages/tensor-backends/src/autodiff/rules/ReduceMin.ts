/** ReduceMin: the gradient goes to the elements equal to the minimum, split evenly between ties. */
import type { GradientRule } from "../types.ts";
import { extremumVjp } from "./ReduceMax.ts";

/** Gradient rule for ReduceMin. */
export const reduceMinRule: GradientRule = {
  opType: "ReduceMin",
  domain: "",
  differentiableInputs: [0],
  needs: { inputs: [0, 1], outputs: [0] },
  vjp: extremumVjp,
};
