/** A chunk of consecutive units, as sorted unit indices. */
export type Chunk = number[];

/**
 * The seed library's sliding windows (`get_masks`): windows of `window` units every `stride` units,
 * starting half a window before the prompt so that the ends are covered as often as the middle;
 * windows are clipped to the prompt and empty ones dropped.
 */
export function slidingChunks(size: number, window: number, stride: number = window): Chunk[] {
  const chunks: Chunk[] = [];
  const padding = Math.floor(window / 2);
  for (let start = -padding; start < size + padding; start += stride) {
    const from = Math.max(start, 0);
    const to = Math.min(start + window, size);
    if (to > from) chunks.push(Array.from({ length: to - from }, (_, i) => from + i));
  }
  return chunks;
}

/** Halves a chunk (`split_mask`): the first ⌊n/2⌋ units, then the rest. */
export function splitChunk(chunk: Chunk): [Chunk, Chunk] {
  const middle = Math.floor(chunk.length / 2);
  return [chunk.slice(0, middle), chunk.slice(middle)];
}

/** Options of {@link hierarchicalSearch}, named as the seed's `hierarchical_perturbation`. */
export interface HierarchicalOptions {
  /** Units per first-stage chunk; default max(2, ⌊units / 2⌋). */
  initialChunkSize?: number;
  /** Default max(1, ⌊chunk size / 2⌋). */
  stride?: number;
  /** Also split a chunk whose own score's magnitude exceeds this (the seed's `static_threshold`). */
  staticThreshold?: number;
  /** Stop after this many stages past the first (the seed's `max_depth`); default no limit. */
  maxDepth?: number;
  /** Accumulate magnitudes (the seed's `use_absolute_attribution`, default true). */
  absolute?: boolean;
}

/** What one chunk's perturbation scored: the whole output's score and one per output position. */
export interface ChunkScore {
  total: number | null;
  positions: (number | null)[];
}

/** What the search found and what it cost. */
export interface HierarchicalOutcome {
  /** Accumulated attribution per unit (the seed's `cumulative_unit_attribution`). */
  unitScores: number[];
  /** [output position x unit], accumulated the same way from the per-position scores. */
  matrix: number[][];
  /** Chunks perturbed at each stage. */
  stages: Chunk[][];
}

// The seed's MIN_MAXIMUM_THRESHOLD: below it nothing is worth splitting further.
const minimumMaximum = 0.01;

function chunkKey(chunk: Chunk): string {
  return chunk.join(",");
}

/**
 * Hierarchical perturbation, as the seed library's `hierarchical_perturbation`: perturb sliding
 * chunks; each chunk's score, divided by its size, is given to its units (averaged over the chunks
 * that cover a unit, 0 for units no chunk covers) and accumulated; chunks whose units' mean
 * accumulated score reaches the mid-range (max + min) / 2 of all units (or whose own score passes
 * `staticThreshold`) are halved and perturbed at the next stage, until no chunk is left to split, the
 * depth limit is reached, or no unit has accumulated more than 0.01. On a long prompt whose output
 * depends on a few units, far fewer requests than one per unit.
 */
export async function hierarchicalSearch(
  units: number,
  positions: number,
  options: HierarchicalOptions,
  score: (chunks: Chunk[]) => Promise<ChunkScore[]>,
): Promise<HierarchicalOutcome> {
  const window = options.initialChunkSize ?? Math.max(2, Math.floor(units / 2));
  const stride = options.stride ?? Math.max(1, Math.floor(window / 2));
  const magnitude = options.absolute === false ? (x: number) => x : Math.abs;
  const unitScores = new Array<number>(units).fill(0);
  const matrix = Array.from({ length: positions }, () => new Array<number>(units).fill(0));
  const stages: Chunk[][] = [];
  let chunks = slidingChunks(units, window, stride);
  for (
    let depth = 0;
    chunks.length > 0 && (options.maxDepth === undefined || depth <= options.maxDepth);
    depth++
  ) {
    stages.push(chunks);
    const scores = await score(chunks);
    const stageUnit = new Array<number>(units).fill(0);
    const stagePosition = Array.from({ length: positions }, () => new Array<number>(units).fill(0));
    const covered = new Array<number>(units).fill(0);
    chunks.forEach((chunk, c) => {
      const { total, positions: values } = scores[c]!;
      for (const unit of chunk) {
        if (total === null) continue;
        covered[unit]! += 1;
        stageUnit[unit]! += total / chunk.length;
        values.forEach((value, t) => {
          if (value !== null) stagePosition[t]![unit]! += value / chunk.length;
        });
      }
    });
    for (let unit = 0; unit < units; unit++) {
      if (covered[unit] === 0) continue;
      unitScores[unit]! += magnitude(stageUnit[unit]! / covered[unit]!);
      for (let t = 0; t < positions; t++)
        matrix[t]![unit]! += magnitude(stagePosition[t]![unit]! / covered[unit]!);
    }
    const highest = Math.max(...unitScores);
    if (!(highest > minimumMaximum)) break;
    const midrange = (highest + Math.min(...unitScores)) / 2;
    const next = new Map<string, Chunk>();
    chunks.forEach((chunk, c) => {
      const mean = chunk.reduce((sum, unit) => sum + unitScores[unit]!, 0) / chunk.length;
      const own = scores[c]!.total;
      const passes =
        mean >= midrange ||
        (options.staticThreshold !== undefined && own !== null && magnitude(own) > options.staticThreshold);
      if (!passes || chunk.length <= 1) return;
      for (const half of splitChunk(chunk)) next.set(chunkKey(half), half);
    });
    chunks = [...next.values()].sort((a, b) => a[0]! - b[0]! || a.length - b.length);
  }
  return { unitScores, matrix, stages };
}
