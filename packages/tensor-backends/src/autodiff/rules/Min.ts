/** Min (variadic, broadcasting): the gradient goes to the inputs equal to the result, ties split evenly. */
import type { GradientRule } from "../types.ts";
import { elementwiseExtremumVjp } from "./Max.ts";

/** Gradient rule for Min. */
export const minRule: GradientRule = {
  opType: "Min",
  domain: "",
  needs: { inputs: "all", outputs: [0] },
  vjp: elementwiseExtremumVjp,
};
