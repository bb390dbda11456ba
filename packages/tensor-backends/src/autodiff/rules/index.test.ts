import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isTensorBackendError } from "../../errors.ts";
import { createRuleRegistry, hasGradientRule } from "../registry.ts";
import { gradientRules } from "./index.ts";

const folder = fileURLToPath(new URL(".", import.meta.url));
const ruleFiles = readdirSync(folder).filter(
  (file) => file.endsWith(".ts") && !file.endsWith(".test.ts") && file !== "index.ts",
);

describe("the rule list", () => {
  it("has no two rules for one (opType, domain)", () => {
    const keys = gradientRules.map((rule) => `${rule.domain}::${rule.opType}`);
    expect(keys.length).toBe(new Set(keys).size);
  });

  it("lists the rule of every file in rules/, and each file is named after its operator", () => {
    const listed = new Set(gradientRules.map((rule) => rule.opType));
    expect(ruleFiles.map((file) => file.replace(/\.ts$/, "")).sort()).toEqual([...listed].sort());
    const index = readFileSync(new URL("./index.ts", import.meta.url), "utf8");
    for (const file of ruleFiles) expect(index).toContain(`from "./${file}"`);
  });

  it("covers every operator the brief requires", () => {
    const required =
      "Add Sub Mul Div Neg Pow Sqrt Reciprocal Exp Log Tanh Sigmoid Erf Relu Gelu Softmax LogSoftmax MatMul Gemm Einsum Transpose Reshape Flatten Squeeze Unsqueeze Concat Split Slice Gather GatherElements Expand Tile Where ReduceSum ReduceMean ReduceMax ReduceL2 Max Min Clip Cast Identity Dropout Pad CumSum LayerNormalization Cos Sin".split(
        " ",
      );
    expect(required.filter((opType) => !hasGradientRule(opType))).toEqual([]);
  });

  it("answers hasGradientRule by domain", () => {
    expect(hasGradientRule("MatMul")).toBe(true);
    expect(hasGradientRule("MatMul", "ai.onnx")).toBe(true);
    expect(hasGradientRule("MatMul", "com.microsoft")).toBe(false);
    expect(hasGradientRule("GroupQueryAttention", "com.microsoft")).toBe(false);
    expect(hasGradientRule("NonZero")).toBe(false);
  });
});

describe("createRuleRegistry", () => {
  const addRule = gradientRules.find((rule) => rule.opType === "Add")!;

  it("refuses a duplicate rule", () => {
    let caught: unknown;
    try {
      createRuleRegistry([addRule, { ...addRule }]);
    } catch (error) {
      caught = error;
    }
    expect(isTensorBackendError(caught, "INVALID_ARGUMENT")).toBe(true);
    expect((caught as Error).message).toContain("ai.onnx.Add");
  });

  it("lets a later rule replace an earlier one when told to overwrite", () => {
    const replacement = { ...addRule, needs: { inputs: [0], outputs: [] } };
    const registry = createRuleRegistry([addRule, replacement], { overwrite: true });
    expect(registry.get("Add", "")).toBe(replacement);
    expect(registry.rules()).toHaveLength(1);
  });

  it("hides a rule from models older than its sinceVersion", () => {
    const gelu = gradientRules.find((rule) => rule.opType === "Gelu")!;
    const registry = createRuleRegistry([gelu]);
    expect(registry.get("Gelu", "", 19)).toBeUndefined();
    expect(registry.get("Gelu", "", 20)).toBe(gelu);
  });
});
