import type { TensorData } from "@tokenscope/core";

/** Rows of a batch grouped by identical input: each group's rows in batch order. */
export interface RowGroups {
  /** Batch rows of each group; the first is the group's representative. */
  groups: number[][];
}

function rowHash(data: TensorData, start: number, size: number, mask: readonly number[] | undefined): number {
  // FNV-1a over the float bits and the mask: equal rows collide by construction, unequal ones rarely.
  let hash = 0x811c9dc5;
  const bits = new Uint32Array(2);
  const view = new Float64Array(bits.buffer);
  for (let i = 0; i < size; i++) {
    // + 0 turns −0 into +0: equal values must hash equally.
    view[0] = data[start + i]! + 0;
    hash = Math.imul(hash ^ bits[0]!, 0x01000193);
    hash = Math.imul(hash ^ bits[1]!, 0x01000193);
  }
  for (const flag of mask ?? []) hash = Math.imul(hash ^ flag, 0x01000193);
  return hash >>> 0;
}

function sameRow(
  data: TensorData,
  a: number,
  b: number,
  size: number,
  masks: readonly (readonly number[])[] | undefined,
): boolean {
  for (let i = 0; i < size; i++) if (data[a * size + i] !== data[b * size + i]) return false;
  return !masks || masks[a]!.every((flag, t) => flag === masks[b]![t]);
}

/**
 * Groups the `batch` rows of `data` (each `size` values) that are exactly equal, masks included. A
 * model runs each group's input once and differentiates every row's objective against it: the steps
 * of one sequence share their input, and so do the steps at one point of an integration path.
 */
export function groupIdenticalRows(
  data: TensorData,
  batch: number,
  size: number,
  masks?: readonly (readonly number[])[],
): RowGroups {
  const groups: number[][] = [];
  const byHash = new Map<number, number[]>();
  for (let row = 0; row < batch; row++) {
    const hash = rowHash(data, row * size, size, masks?.[row]);
    const candidates = byHash.get(hash) ?? [];
    let group = candidates.find((index) => sameRow(data, groups[index]![0]!, row, size, masks));
    if (group === undefined) {
      group = groups.length;
      groups.push([]);
      candidates.push(group);
      byHash.set(hash, candidates);
    }
    groups[group]!.push(row);
  }
  return { groups };
}
