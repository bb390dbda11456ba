import type { GraphContext } from "../context.ts";

/**
 * The same context, except that the fixed output names blocks give their taps (`attention_probs.{layer}`,
 * `values.{layer}`, ...) pass through `rename`. An encoder-decoder has three attentions per decoder
 * layer and two stacks, so the decoder-only names would collide; this lets the shared blocks be
 * used unchanged, each stack and attention under its own prefix (`encoder.attention_probs.0`).
 */
export function withRenamedOutputs(ctx: GraphContext, rename: (output: string) => string): GraphContext {
  return {
    ...ctx,
    op(opType, inputs, attributes, output) {
      return ctx.op(opType, inputs, attributes, output === undefined ? undefined : rename(output));
    },
    within(scope) {
      return withRenamedOutputs(ctx.within(scope), rename);
    },
  };
}

/** Renames outputs by prefixing `prefix.` (`attention_probs.0` → `cross.attention_probs.0`). */
export function prefixedOutputs(ctx: GraphContext, prefix: string): GraphContext {
  return withRenamedOutputs(ctx, (output) => `${prefix}.${output}`);
}
