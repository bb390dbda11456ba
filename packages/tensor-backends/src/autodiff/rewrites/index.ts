/**
 * Rewrites of ONNX Runtime contrib operators (as transformers.js exports use them) into standard ONNX
 * operators, so the autodiff can differentiate graphs exported with fused kernels. One file per
 * operator; this file lists them. MultiHeadAttention is not rewritten yet: graphs using it report
 * UNSUPPORTED_OPERATOR on the gradient path.
 */
import type { OnnxModel } from "../../graph/types.ts";
import { biasGeluRewrite } from "./BiasGelu.ts";
import { fastGeluRewrite } from "./FastGelu.ts";
import { geluRewrite } from "./Gelu.ts";
import { groupQueryAttentionRewrite } from "./GroupQueryAttention.ts";
import { matMulNBitsRewrite } from "./MatMulNBits.ts";
import { quickGeluRewrite } from "./QuickGelu.ts";
import { rotaryEmbeddingRewrite } from "./RotaryEmbedding.ts";
import { applyRewrites } from "./rewrite-contrib-ops.ts";
import { simplifiedLayerNormalizationRewrite } from "./SimplifiedLayerNormalization.ts";
import { skipLayerNormalizationRewrite } from "./SkipLayerNormalization.ts";
import { skipSimplifiedLayerNormalizationRewrite } from "./SkipSimplifiedLayerNormalization.ts";
import type { ContribRewrite } from "./types.ts";

/** Every contrib rewrite. */
export const contribRewrites: readonly ContribRewrite[] = [
  simplifiedLayerNormalizationRewrite,
  skipSimplifiedLayerNormalizationRewrite,
  skipLayerNormalizationRewrite,
  rotaryEmbeddingRewrite,
  fastGeluRewrite,
  biasGeluRewrite,
  geluRewrite,
  quickGeluRewrite,
  matMulNBitsRewrite,
  groupQueryAttentionRewrite,
];

/**
 * Turn every contrib operator with a rewrite into standard ONNX operators (semantics preserved; outputs
 * keep their names). Operators whose rewrite declines are left as they are.
 */
export function rewriteContribOps(model: OnnxModel): OnnxModel {
  return applyRewrites(model, contribRewrites);
}

/** The hint to give when `opType` has no gradient rule but a rewrite exists. */
export function rewriteHint(opType: string, domain: string): string | undefined {
  const found = contribRewrites.some(
    (rewrite) => rewrite.opType === opType && rewrite.domains.includes(domain),
  );
  return found
    ? `Run rewriteContribOps(model) first: it turns ${opType} into standard operators that have gradient rules.`
    : undefined;
}
