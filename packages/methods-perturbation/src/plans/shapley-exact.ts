import { limits, TokenscopeError } from "@tokenscope/core";
import type { CoalitionPlan } from "../shared/coalitions.ts";

/** Most features exact enumeration accepts (2^12 = 4096 coalitions per step): {@link limits}. */
export const maxExactShapleyFeatures = limits.exactShapleyFeatures.max;

function factorials(n: number): number[] {
  const table = [1];
  for (let k = 1; k <= n; k++) table.push(table[k - 1]! * k);
  return table;
}

/**
 * Exact Shapley values by enumeration: every coalition S (bit j of its index
 * = feature j present) is evaluated, and
 * φ_j = Σ_{S ∌ j} |S|! (d − |S| − 1)! / d! · (f(S ∪ {j}) − f(S)).
 * Throws `INVALID_INPUT` above {@link maxExactShapleyFeatures} features.
 */
export function exactShapleyPlan(featureCount: number, where: string): CoalitionPlan {
  if (featureCount > maxExactShapleyFeatures) {
    throw new TokenscopeError(
      "INVALID_INPUT",
      `Method "shapley_values" enumerates all 2^n coalitions and accepts at most ${maxExactShapleyFeatures} features, but ${where} has ${featureCount}.`,
      {
        hint: 'Use "shapley_value_sampling" or "kernel_shap", which estimate Shapley values from samples, or coarser features (features: "word", "sentence" or "group").',
        details: { limit: "exactShapleyFeatures", features: featureCount, max: maxExactShapleyFeatures },
      },
    );
  }
  const full = 2 ** featureCount - 1;
  const scratch = new Uint8Array(featureCount);
  const factorial = factorials(featureCount);
  const sizes = Array.from({ length: full + 1 }, (_, mask) => {
    let size = 0;
    for (let rest = mask; rest > 0; rest >>= 1) size += rest & 1;
    return size;
  });
  return {
    count: full,
    // Coalition `mask`: bit j set = feature j present.
    coalition(mask) {
      for (let j = 0; j < featureCount; j++) scratch[j] = (mask >> j) & 1;
      return scratch;
    },
    async scores(values, fullValue) {
      const value = (mask: number) => (mask === full ? fullValue : values[mask]!);
      return Array.from({ length: featureCount }, (_, j) => {
        let phi = 0;
        for (let mask = 0; mask <= full; mask++) {
          if ((mask >> j) & 1) continue;
          const size = sizes[mask]!;
          const weight = (factorial[size]! * factorial[featureCount - size - 1]!) / factorial[featureCount]!;
          phi += weight * (value(mask | (1 << j)) - value(mask));
        }
        return phi;
      });
    },
  };
}
