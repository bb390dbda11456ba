import {
  type ContrastStep,
  contrastStep,
  evaluateStepFunction,
  type GradientTarget,
  getStepFunction,
  type MethodContext,
  type MethodSequence,
  type ModelInputs,
  type StepFunction,
  stepPosition,
  type TensorData,
  targetId,
  throwIfAborted,
} from "@tokenscope/core";

/*
 * Contrastive attribution through both sides (Yin and Neubig, 2022). At target step t a contrastive
 * step function is f(logits, contrastLogits): the logits predicting the target from the prompt x and
 * the target before t, and the logits predicting the contrast token from the contrast input. When the
 * contrast input begins with the same prompt, both sides read x, so ∂f/∂x has a term through each:
 * the contrast input goes as a second row of the same gradient call over the SAME prompt embeddings
 * (interpolated, noised, ... exactly as its own row's), followed by the contrast prefix at its actual
 * embeddings, and its gradient over the prompt is added to its row's. A different contrast prompt
 * does not read x: its logits are a constant, computed once per step. Inseq treats the contrast side
 * as a constant in both cases.
 */

/** How the methods that use contrast rows say so in their descriptions. */
export const CONTRASTIVE_DESCRIPTION =
  "A contrastive attributed function (contrast_prob_diff, kl_divergence, pcxmi, ...) is differentiated " +
  "through both of its sides (Yin and Neubig, 2022): a contrast input that shares the prompt is a second " +
  "row of the same gradient call over the same prompt (interpolated or noised exactly as its row), followed " +
  "by the contrast tokens at their own embeddings, and its gradient over the prompt is added to the row's; " +
  "a different contrast prompt does not depend on the input and counts as a constant (Inseq counts the " +
  "contrast side as a constant always).";

/** What the rows of a call cost: their longest batch row, and batch rows per attributed row. */
export interface ContrastSizing {
  /** Tokens of the longest batch row (a contrast input may be longer than the sequence). */
  length: number;
  /** 2 when each row may bring its contrast row into the gradient call (a shared prompt), else 1. */
  rowsPerItem: 1 | 2;
}

/** One call of rows through the contrast path. */
export interface ContrastCall {
  /** Target step of each row. */
  steps: readonly number[];
  /** The rows' own inputs [rows, source + target, ...], as the method built them. */
  inputs: ModelInputs;
  /** The contrast side of each row ({@link ContrastRows.sidesOf}). */
  sides: readonly ContrastStep[];
  wrt: GradientTarget;
  /** Ask the model to recompute layer activations in the backward pass (batch-budget.ts). */
  recompute?: boolean;
}

/** The rows of one call with their contrast side folded in. */
export interface ContrastCallResult {
  /** [rows, source + target, width]: each row's gradient of f, through both sides. */
  gradients: Float64Array;
  /** [rows, source + target, width]: the rows' own tensor that was differentiated. */
  activations: TensorData;
  width: number;
  /** f of each row, in float64 from the logits of both sides. */
  values: Float64Array;
}

/** The contrast rows of one sequence: which calls need them, their size, and their gradients. */
export interface ContrastRows {
  /**
   * The contrast side of every row of a call, or undefined when the model's own objective serves the
   * call: a non-contrastive function, no contrast, or every row its own contrast (`self`), as long as
   * the function needs no separate contrast logits (kl_divergence, pcxmi and in_context_pvi do, and
   * no model computes those in its graph).
   */
  sidesOf(steps: readonly number[]): ContrastStep[] | undefined;
  gradients(call: ContrastCall): Promise<ContrastCallResult>;
}

/** Whether `stepFunction` reads contrastLogits even when they are the row's own logits. */
function needsContrastLogits(stepFunction: StepFunction<unknown>): boolean {
  return stepFunction.contrast === "input";
}

function sidesFor(
  stepFunction: StepFunction<unknown>,
  steps: readonly number[],
  sideOf: (step: number) => ContrastStep | undefined,
): ContrastStep[] | undefined {
  if (stepFunction.contrast === undefined) return undefined;
  const sides: ContrastStep[] = [];
  for (const step of steps) {
    const side = sideOf(step);
    if (side === undefined) return undefined;
    sides.push(side);
  }
  if (!needsContrastLogits(stepFunction) && sides.every((side) => side.self)) return undefined;
  return sides;
}

/**
 * The size of the rows of `steps` with their contrast rows. Without `sequence.contrast` every
 * contrast is the row itself (`contrastTargetIds` alone), so rows stay as they are.
 */
export function contrastSizing(
  context: MethodContext<unknown>,
  sequence: MethodSequence,
  steps: readonly number[],
): ContrastSizing {
  const seq = sequence.source.length + sequence.target.length;
  const { contrast } = sequence;
  if (!contrast) return { length: seq, rowsPerItem: 1 };
  const distinct = [...new Set(steps)];
  const sides = sidesFor(getStepFunction(context.attributedFunction.id), distinct, (step) =>
    contrastStep(sequence, step),
  );
  const others = (sides ?? []).filter((side) => !side.self);
  if (others.length === 0) return { length: seq, rowsPerItem: 1 };
  return {
    length: Math.max(seq, ...others.map((side) => side.ids.length)),
    rowsPerItem: contrast.sharesSource ? 2 : 1,
  };
}

/** `row` right-padded to `length` with its last id (masked out, and unseen by earlier positions). */
function padIds(row: readonly number[], length: number): number[] {
  return Array.from({ length }, (_, t) => row[Math.min(t, row.length - 1)]!);
}

/** 1 over each row's own tokens, 0 over its padding; undefined when no row is padded. */
function paddingMask(lengths: readonly number[], length: number, given?: number[][]): number[][] | undefined {
  if (!given && lengths.every((rowLength) => rowLength === length)) return undefined;
  return lengths.map((rowLength, row) =>
    Array.from({ length }, (_, t) => (t < rowLength ? (given?.[row]?.[t] ?? 1) : 0)),
  );
}

/**
 * The batch of a call's rows followed by one contrast row per entry of `paired` (the index of the row
 * whose prompt it shares), all right-padded to the longest: the models are causal, so no position
 * sees the padding after it. Id rows take the contrast input's ids (its prompt is the row's); an
 * embedding row's contrast row takes the row's own first source.length vectors, then `tailOf` (the
 * contrast prefix at its actual embeddings).
 */
function withContrastRows(
  inputs: ModelInputs,
  seq: number,
  sourceLength: number,
  paired: readonly { row: number; side: ContrastStep; tail?: TensorData }[],
): { inputs: ModelInputs; length: number } {
  const rows = "ids" in inputs ? inputs.ids.length : inputs.embeddings.dims[0]!;
  const length = Math.max(seq, ...paired.map(({ side }) => side.ids.length));
  const lengths = [...new Array<number>(rows).fill(seq), ...paired.map(({ side }) => side.ids.length)];
  const given = inputs.attentionMask ? [...inputs.attentionMask, ...paired.map(() => [])] : undefined;
  const mask = paddingMask(lengths, length, given);
  const masked = mask ? { attentionMask: mask } : {};
  if ("ids" in inputs) {
    const ids = [...inputs.ids, ...paired.map(({ side }) => side.ids)].map((row) => padIds(row, length));
    return { inputs: { ids, ...masked }, length };
  }
  const { data } = inputs.embeddings;
  const hidden = inputs.embeddings.dims[2]!;
  const size = (rows + paired.length) * length * hidden;
  // Same element type as the rows', so a float32 model is fed float32.
  const out = data instanceof Float32Array ? new Float32Array(size) : new Float64Array(size);
  for (let row = 0; row < rows; row++) {
    out.set(data.subarray(row * seq * hidden, (row + 1) * seq * hidden), row * length * hidden);
  }
  paired.forEach(({ row, tail }, index) => {
    const offset = (rows + index) * length * hidden;
    out.set(data.subarray(row * seq * hidden, (row * seq + sourceLength) * hidden), offset);
    out.set(tail!, offset + sourceLength * hidden);
  });
  return {
    inputs: { embeddings: { data: out, dims: [rows + paired.length, length, hidden] }, ...masked },
    length,
  };
}

/** The contrast rows of `sequence` under `context`'s attributed function. */
export function createContrastRows(context: MethodContext<unknown>, sequence: MethodSequence): ContrastRows {
  const { model } = context;
  const signal = context.signal ? { signal: context.signal } : {};
  const sourceLength = sequence.source.length;
  const seq = sourceLength + sequence.target.length;
  const shared = sequence.contrast?.sharesSource ?? true;
  const sides = new Map<number, ContrastStep | undefined>();
  const sideOf = (step: number): ContrastStep | undefined => {
    if (!sides.has(step)) sides.set(step, contrastStep(sequence, step));
    return sides.get(step);
  };
  // Per step: a different prompt's contrast logits (constant in x), and a contrast prefix's embeddings.
  const constantLogits = new Map<number, Float64Array>();
  const tails = new Map<number, TensorData>();
  let stepFunction: StepFunction<unknown> | undefined;
  const attributed = () => (stepFunction ??= getStepFunction(context.attributedFunction.id));

  /** Embeddings of the contrast prefix (positions [source.length, ids.length) of the contrast input). */
  async function tailOf(step: number, side: ContrastStep): Promise<TensorData> {
    let tail = tails.get(step);
    if (!tail) {
      // The whole contrast input is embedded: a model's embeddings may depend on the position.
      const embedded = (await model.embed!([side.ids])).data;
      const hidden = embedded.length / side.ids.length;
      tail = embedded.subarray(sourceLength * hidden);
      tails.set(step, tail);
    }
    return tail;
  }

  /** Contrast logits of a contrast input that does not share the prompt: one forward per step. */
  async function constantContrastLogits(steps: readonly number[]): Promise<void> {
    const missing = [...new Set(steps)].filter((step) => !sideOf(step)!.self && !constantLogits.has(step));
    if (missing.length === 0) return;
    const rows = missing.map((step) => sideOf(step)!.ids);
    const length = Math.max(...rows.map((row) => row.length));
    const mask = paddingMask(
      rows.map((row) => row.length),
      length,
    );
    const { logits } = await model.forward!({
      inputs: { ids: rows.map((row) => padIds(row, length)), ...(mask ? { attentionMask: mask } : {}) },
      positions: missing.map((step) => [sideOf(step)!.position]),
      ...signal,
    });
    const vocab = logits.dims[logits.dims.length - 1]!;
    missing.forEach((step, index) => {
      constantLogits.set(step, Float64Array.from(logits.data.subarray(index * vocab, (index + 1) * vocab)));
    });
  }

  async function gradients(call: ContrastCall): Promise<ContrastCallResult> {
    const { steps } = call;
    const rows = steps.length;
    const paired: { row: number; side: ContrastStep; tail?: TensorData }[] = [];
    if (shared) {
      for (let row = 0; row < rows; row++) {
        const side = call.sides[row]!;
        if (side.self) continue;
        paired.push({
          row,
          side,
          ...("ids" in call.inputs ? {} : { tail: await tailOf(steps[row]!, side) }),
        });
      }
    } else {
      await constantContrastLogits(steps);
    }
    const { inputs, length } =
      paired.length > 0
        ? withContrastRows(call.inputs, seq, sourceLength, paired)
        : { inputs: call.inputs, length: seq };
    const positions = [
      ...steps.map((step) => stepPosition(sequence, step)),
      ...paired.map(({ side }) => side.position),
    ];

    // Phase 1: the logits of every row and contrast row.
    throwIfAborted(context.signal);
    const forward = await model.forward!({ inputs, positions: positions.map((p) => [p]), ...signal });
    const vocab = forward.logits.dims[forward.logits.dims.length - 1]!;
    const logitsOf = (batchRow: number) =>
      Float64Array.from(forward.logits.data.subarray(batchRow * vocab, (batchRow + 1) * vocab));

    // Phase 2: f and its derivatives in float64; a contrast row is seeded with ∂f/∂contrastLogits.
    const seeds = new Float64Array(positions.length * vocab);
    const values = new Float64Array(rows);
    const contrastRowOf = new Map(paired.map(({ row }, index) => [row, rows + index]));
    for (let row = 0; row < rows; row++) {
      const step = steps[row]!;
      const side = call.sides[row]!;
      const logits = logitsOf(row);
      const contrastRow = contrastRowOf.get(row);
      const contrastLogits = side.self
        ? needsContrastLogits(attributed())
          ? logits
          : undefined
        : contrastRow !== undefined
          ? logitsOf(contrastRow)
          : constantLogits.get(step)!;
      const output = evaluateStepFunction(
        attributed(),
        {
          logits,
          ...(contrastLogits ? { contrastLogits } : {}),
          targetId: targetId(sequence, step),
          contrastTargetId: side.targetId,
          parameters: context.attributedFunction.parameters,
        },
        { withGradient: true },
      );
      values[row] = output.value;
      seeds.set(output.gradLogits!, row * vocab);
      const contrastSeed = output.gradContrastLogits;
      if (contrastSeed === undefined) continue;
      if (side.self) {
        // Both arguments are the row's own logits: the total derivative is the sum.
        for (let v = 0; v < vocab; v++) seeds[row * vocab + v]! += contrastSeed[v]!;
      } else if (contrastRow !== undefined) {
        seeds.set(contrastSeed, contrastRow * vocab);
      }
      // Otherwise the contrast side does not read x: its derivative is dropped.
    }

    // Phase 3: one backward pass over every row, seeded.
    throwIfAborted(context.signal);
    const result = await model.gradients!({
      inputs,
      objective: { kind: "logitSeeds", positions, seeds: { data: seeds, dims: [positions.length, vocab] } },
      wrt: call.wrt,
      ...(call.recompute ? { recompute: true } : {}),
      ...signal,
    });
    const width = result.gradients.dims[2]!;
    const rowSize = seq * width;
    const gradient = new Float64Array(rows * rowSize);
    const activation = result.activations.data;
    const activations =
      activation instanceof Float32Array
        ? new Float32Array(rows * rowSize)
        : new Float64Array(rows * rowSize);
    for (let row = 0; row < rows; row++) {
      const from = row * length * width;
      gradient.set(result.gradients.data.subarray(from, from + rowSize), row * rowSize);
      activations.set(activation.subarray(from, from + rowSize), row * rowSize);
      const contrastRow = contrastRowOf.get(row);
      if (contrastRow === undefined) continue;
      // The prompt is read by both rows; the contrast prefix's own positions are not the target's.
      const contrastFrom = contrastRow * length * width;
      for (let i = 0; i < sourceLength * width; i++) {
        gradient[row * rowSize + i]! += result.gradients.data[contrastFrom + i]!;
      }
    }
    return { gradients: gradient, activations, width, values };
  }

  return {
    sidesOf: (steps) =>
      sequence.contrast || sequence.contrastTargetIds ? sidesFor(attributed(), steps, sideOf) : undefined,
    gradients,
  };
}
