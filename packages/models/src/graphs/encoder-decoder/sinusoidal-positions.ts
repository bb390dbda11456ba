import { castTo, type GraphContext } from "../context.ts";

/**
 * The inverse timescales of sinusoidal positions over `hiddenSize` channels, as OpenNMT and
 * CTranslate2 compute them: `exp(-i · ln(10000) / (hiddenSize/2 − 1))` for i < hiddenSize/2.
 */
export function sinusoidInverseTimescales(hiddenSize: number): Float64Array {
  const half = hiddenSize / 2;
  const increment = Math.log(10000) / (half - 1);
  return Float64Array.from({ length: half }, (_, i) => Math.exp(-i * increment));
}

/**
 * Sinusoidal position encodings [seq, hiddenSize] for the sequence axis (axis 1) of `x`
 * [batch, seq, ...], laid out [sin | cos]: channel j < hiddenSize/2 holds sin(p · τ_j), channel
 * hiddenSize/2 + j holds cos(p · τ_j), for positions p = offset, offset + 1, ... Computed in the
 * graph, so any length works; right padding keeps every real token at its own position. With
 * `pastLength` (an int64 scalar tensor: the tokens a KV cache already holds) the positions start at
 * offset + pastLength instead.
 */
export function sinusoidalPositions(
  ctx: GraphContext,
  x: string,
  hiddenSize: number,
  offset: number,
  pastLength?: string,
): string {
  const seqLength = ctx.op("Gather", [ctx.op("Shape", [x]), ctx.builder.constant([1n], [])], { axis: 0 });
  const fixedStart = ctx.builder.constant([BigInt(offset)], []);
  const start = pastLength === undefined ? fixedStart : ctx.op("Add", [fixedStart, pastLength]);
  const positions = ctx.op("Range", [
    start,
    ctx.op("Add", [seqLength, start]),
    ctx.builder.constant([1n], []),
  ]);
  const column = ctx.op("Unsqueeze", [
    ctx.op("Cast", [positions], { to: castTo[ctx.dataType] }),
    ctx.ints([1]),
  ]);
  const inverse = sinusoidInverseTimescales(hiddenSize);
  const timescales = ctx.builder.constant(ctx.dataType === "float64" ? inverse : Float32Array.from(inverse), [
    inverse.length,
  ]);
  const angles = ctx.op("Mul", [column, timescales]);
  return ctx.op("Concat", [ctx.op("Sin", [angles]), ctx.op("Cos", [angles])], { axis: -1 });
}
