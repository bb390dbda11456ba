/**
 * Einsum: the gradient of operand i is another Einsum of the output gradient with the other operands,
 * producing operand i's subscripts. Letters only operand i has (summed away in the forward pass) are
 * restored by Unsqueeze + Expand; ellipsis dims broadcast in the forward pass are summed back. The seed
 * axis gets a letter of its own. Repeated letters inside one operand (diagonals) are not supported.
 */
import { TensorBackendError } from "../../errors.ts";
import { gradShapeOf, unbroadcastFrom } from "../helpers.ts";
import type { GradientRule, VjpContext } from "../types.ts";

const ELLIPSIS = "...";

function tokens(term: string): string[] {
  const parts = term.split(ELLIPSIS);
  if (parts.length > 2) throw unsupported(`'${term}' has more than one ellipsis`);
  return parts.length === 2 ? [...parts[0]!, ELLIPSIS, ...parts[1]!] : [...term];
}

function unsupported(why: string, node = ""): TensorBackendError {
  return new TensorBackendError(
    "UNSUPPORTED_OPERATOR",
    `Einsum gradient${node ? ` (node '${node}')` : ""}: ${why}`,
    {
      hint: "Rewrite the equation without repeated subscripts in one operand (e.g. take diagonals separately).",
    },
  );
}

/** Parse an equation into operand and output token lists (implicit outputs made explicit). */
export function parseEinsum(equation: string): { operands: string[][]; output: string[] } {
  const [lhs, rhs] = equation.replace(/\s/g, "").split("->");
  const operands = lhs!.split(",").map(tokens);
  if (rhs !== undefined) return { operands, output: tokens(rhs) };
  const counts = new Map<string, number>();
  for (const operand of operands)
    for (const token of operand) counts.set(token, (counts.get(token) ?? 0) + 1);
  const single = [...counts]
    .filter(([token, count]) => token !== ELLIPSIS && count === 1)
    .map(([token]) => token);
  const ellipsis = operands.some((operand) => operand.includes(ELLIPSIS)) ? [ELLIPSIS] : [];
  return { operands, output: [...ellipsis, ...single.sort()] };
}

function operandGrad(ctx: VjpContext, operands: string[][], output: string[], slot: number): string {
  const own = operands[slot]!;
  if (new Set(own).size !== own.length)
    throw unsupported(`operand ${slot} repeats a subscript`, ctx.node.name);
  const others = operands.filter((_, index) => index !== slot);
  const available = new Set([...output, ...others.flat()]);
  const lonely = own.filter((token) => !available.has(token));
  if (lonely.includes(ELLIPSIS) || (lonely.length > 0 && own.includes(ELLIPSIS))) {
    throw unsupported(
      `operand ${slot} sums axes no other operand has, together with an ellipsis`,
      ctx.node.name,
    );
  }
  const used = new Set([...operands.flat(), ...output].join(""));
  const seed =
    ctx.k === 0
      ? ""
      : [..."zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA"].find((letter) => !used.has(letter))!;
  const kept = own.filter((token) => available.has(token));
  const inputs = [
    ctx.gradOutput(0)!,
    ...operands.map((_, index) => ctx.input(index)).filter((_, index) => index !== slot),
  ];
  const equation =
    `${seed}${output.join("")},${others.map((term) => term.join("")).join(",")}->${seed}${kept.join("")}`.replace(
      ",->",
      "->",
    );
  let grad = ctx.op("Einsum", inputs, { equation });
  const x = ctx.input(slot);
  if (lonely.length > 0) {
    const positions = lonely.map((letter) => own.indexOf(letter) + ctx.k);
    grad = ctx.op("Expand", [ctx.op("Unsqueeze", [grad, ctx.int64s(positions)]), gradShapeOf(ctx, x)]);
  }
  if (own.includes(ELLIPSIS)) grad = unbroadcastFrom(ctx, grad, undefined, x);
  return grad;
}

/** Gradient rule for Einsum. */
export const einsumRule: GradientRule = {
  opType: "Einsum",
  domain: "",
  needs: { inputs: "all", outputs: [] },
  vjp(ctx) {
    const { operands, output } = parseEinsum(ctx.attr.string("equation", ""));
    if (new Set(output).size !== output.length)
      throw unsupported("the output repeats a subscript", ctx.node.name);
    return operands.map((_, slot) =>
      ctx.wantsGrad(slot) ? operandGrad(ctx, operands, output, slot) : undefined,
    );
  },
};
