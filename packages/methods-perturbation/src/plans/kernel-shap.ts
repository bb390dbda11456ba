import type { YieldPoint } from "@tokenscope/core";
import { coalitionMatrixOf, coalitionRow } from "../shared/coalition-matrix.ts";
import type { CoalitionPlan } from "../shared/coalitions.ts";
import type { RandomStream } from "../shared/random.ts";
import { constrainedLeastSquares } from "../shared/regression.ts";

function binomial(n: number, k: number): number {
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

/** The Shapley kernel weight of one coalition of `size` among d features: (d − 1) / (C(d, size) · size · (d − size)). */
export function shapleyKernelWeight(featureCount: number, size: number): number {
  return (featureCount - 1) / (binomial(featureCount, size) * size * (featureCount - size));
}

function subsetsOfSize(featureCount: number, size: number): Uint8Array[] {
  const subsets: Uint8Array[] = [];
  const pick = (start: number, chosen: number[]) => {
    if (chosen.length === size) {
      const coalition = new Uint8Array(featureCount);
      for (const feature of chosen) coalition[feature] = 1;
      subsets.push(coalition);
      return;
    }
    for (let feature = start; feature <= featureCount - (size - chosen.length); feature++) {
      pick(feature + 1, [...chosen, feature]);
    }
  };
  pick(0, []);
  return subsets;
}

function randomSubset(featureCount: number, size: number, random: RandomStream): Uint8Array {
  const order = Array.from({ length: featureCount }, (_, feature) => feature);
  const coalition = new Uint8Array(featureCount);
  for (let k = 0; k < size; k++) {
    const pick = random.int(k, featureCount - 1);
    [order[k], order[pick]] = [order[pick]!, order[k]!];
    coalition[order[k]!] = 1;
  }
  return coalition;
}

const complement = (coalition: Uint8Array) => coalition.map((present) => 1 - present);

/** A coalition as a short string key, 16 features per character (joining 0s and 1s was 16× longer). */
function coalitionKey(coalition: Uint8Array): string {
  let key = "";
  for (let start = 0; start < coalition.length; start += 16) {
    let bits = 0;
    for (let bit = 0; bit < 16 && start + bit < coalition.length; bit++)
      bits |= coalition[start + bit]! << bit;
    key += String.fromCharCode(bits);
  }
  return key;
}

/**
 * Coalitions and kernel weights within a budget, as the SHAP library's
 * KernelExplainer chooses them: sizes s and d − s are taken in pairs; going
 * from the heaviest sizes (1 and d − 1) inwards, a size pair whose share of
 * the budget covers all its subsets is enumerated with exact kernel weights;
 * the remaining budget is sampled (size from the remaining kernel mass, then
 * a uniform subset and its complement), duplicates merged, and the remaining
 * mass shared by count.
 */
export async function kernelCoalitions(
  featureCount: number,
  samples: number,
  random: RandomStream,
  point?: YieldPoint,
): Promise<{ coalitions: Uint8Array[]; weights: number[] }> {
  const d = featureCount;
  const sizeCount = Math.ceil((d - 1) / 2);
  const pairedCount = Math.floor((d - 1) / 2);
  const mass = Array.from({ length: sizeCount }, (_, k) => {
    const size = k + 1;
    return ((d - 1) / (size * (d - size))) * (size <= pairedCount ? 2 : 1);
  });
  const massTotal = mass.reduce((sum, value) => sum + value, 0);
  const share = mass.map((value) => value / massTotal);
  const coalitions: Uint8Array[] = [];
  const weights: number[] = [];
  let budget = samples;
  let complete = 0;
  for (let k = 0; k < sizeCount; k++) {
    const size = k + 1;
    const paired = size <= pairedCount;
    const subsets = binomial(d, size) * (paired ? 2 : 1);
    const remainingShare = share.slice(k).reduce((sum, value) => sum + value, 0);
    if ((budget * share[k]!) / remainingShare < subsets - 1e-8) break;
    const weight = (share[k]! / binomial(d, size)) * (paired ? 0.5 : 1);
    for (const subset of subsetsOfSize(d, size)) {
      coalitions.push(subset);
      weights.push(weight);
      if (paired) {
        coalitions.push(complement(subset));
        weights.push(weight);
      }
    }
    budget -= subsets;
    complete++;
  }
  if (complete === sizeCount || budget <= 0) return { coalitions, weights };

  const leftShare = share.slice(complete);
  const leftMass = leftShare.reduce((sum, value) => sum + value, 0);
  const counts = new Map<string, { coalition: Uint8Array; count: number }>();
  let drawn = 0;
  const add = (coalition: Uint8Array) => {
    const key = coalitionKey(coalition);
    const entry = counts.get(key);
    if (entry) entry.count++;
    else counts.set(key, { coalition, count: 1 });
    drawn++;
  };
  while (drawn < budget) {
    if (point?.due()) await point.pause();
    let draw = random.float() * leftMass;
    let k = 0;
    while (k < leftShare.length - 1 && draw >= leftShare[k]!) draw -= leftShare[k++]!;
    const size = complete + k + 1;
    const subset = randomSubset(d, size, random);
    add(subset);
    if (size <= pairedCount && drawn < budget) add(complement(subset));
  }
  for (const { coalition, count } of counts.values()) {
    coalitions.push(coalition);
    weights.push((count / drawn) * leftMass);
  }
  return { coalitions, weights };
}

/**
 * KernelSHAP (Lundberg & Lee 2017): a linear model f(S) ≈ f(∅) + Σ_{j∈S} φ_j
 * fitted by weighted least squares with the Shapley kernel, under the
 * efficiency constraint Σ φ = f(all) − f(∅) enforced exactly. Coalitions come
 * from {@link kernelCoalitions}: with a budget of 2^d − 2 or more every
 * coalition is enumerated and the result is the exact Shapley values. They are
 * kept as one 0/1 matrix, and `point` lets the event loop in while they are
 * drawn and fitted.
 */
export async function kernelShapPlan(
  featureCount: number,
  samples: number,
  random: RandomStream,
  point?: YieldPoint,
): Promise<CoalitionPlan> {
  if (featureCount === 0) return { count: 0, coalition: () => [], scores: async () => [] };
  const { coalitions, weights } =
    featureCount === 1
      ? { coalitions: [], weights: [] }
      : await kernelCoalitions(featureCount, samples, random, point);
  // Coalition 0 is the empty one: f(∅) anchors the regression.
  const all = coalitionMatrixOf([new Uint8Array(featureCount), ...coalitions], featureCount);
  const design = { rows: coalitions.length, columns: featureCount, data: all.data.subarray(featureCount) };
  return {
    count: all.rows,
    coalition: (k) => coalitionRow(all, k),
    async scores(values, full, yieldPoint) {
      const empty = values[0]!;
      const targets = Array.from(values.subarray(1), (value) => value - empty);
      return constrainedLeastSquares(design, targets, weights, full - empty, yieldPoint);
    },
  };
}
