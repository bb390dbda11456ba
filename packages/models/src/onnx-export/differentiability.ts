import {
  hasConstantOutputs,
  hasGradientRule,
  inspectModel,
  type OnnxModel,
} from "@tokenscope/tensor-backends";
import { embedsGraphNames } from "./embeds-graph.ts";

/** Whether gradients can be taken, and if not, the operators in the way. */
export type Differentiability = { ok: true } | { ok: false; operators: string[]; reason: string };

function qualified(opType: string, domain: string): string {
  return domain === "" ? opType : `${domain}.${opType}`;
}

/**
 * Whether `logits` of an embeddings graph (after `rewriteContribOps`) can be differentiated with
 * respect to `inputs_embeds`: every operator on the path has a gradient rule. When not, `reason`
 * names the operators and says what would provide gradients.
 */
export function checkDifferentiable(rewritten: OnnxModel): Differentiability {
  const summary = inspectModel(rewritten, {
    path: { from: [embedsGraphNames.inputsEmbeds], to: ["logits"] },
    hasRule: (opType, domain) => hasGradientRule(opType, domain) || hasConstantOutputs(opType, domain),
  });
  const missing = summary.opsOnPathWithoutRule;
  if (missing.length === 0) return { ok: true };
  const operators = missing.map((entry) => qualified(entry.opType, entry.domain));
  const fused = missing.find((entry) => entry.domain !== "");
  const listed = operators.join(", ");
  const reason = fused
    ? `this ONNX export uses ${qualified(fused.opType, fused.domain)} between the embeddings and the logits, which has no gradient rule${operators.length > 1 ? ` (nor ${operators.filter((name) => name !== qualified(fused.opType, fused.domain)).join(", ")})` : ""}; load the model from its safetensors instead`
    : `this ONNX export uses ${listed} between the embeddings and the logits, which ${operators.length > 1 ? "have" : "has"} no gradient rule; load the model from its safetensors instead`;
  return { ok: false, operators, reason };
}
