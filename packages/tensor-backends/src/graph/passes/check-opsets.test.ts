import { describe, expect, it } from "vitest";
import { createOnnxruntimeNodeRuntime } from "../../runtime/onnxruntime-node.ts";
import { createGraphBuilder } from "../builder.ts";
import { checkOpsets } from "./check-opsets.ts";

describe("checkOpsets", () => {
  it("accepts a model importing every domain it uses (and onnxruntime-node agrees)", async () => {
    const g = createGraphBuilder("ok");
    const x = g.input("x", "float32", [2, 4]);
    const [y] = g.node("FastGelu", [x], {}, { domain: "com.microsoft" });
    g.output(y!, "float32", [2, 4]);
    const model = g.build();
    expect(checkOpsets(model)).toEqual({
      ok: true,
      imported: { "": 21, "com.microsoft": 1 },
      unknownDomains: [],
    });
    const session = await createOnnxruntimeNodeRuntime().createSession(model);
    await session.dispose();
  });

  it("reports domains used but not imported, subgraphs included", () => {
    const g = createGraphBuilder("bad");
    const x = g.input("x", "float32", [2]);
    const cond = g.input("cond", "bool", []);
    const [a] = g.node("FastGelu", [x], {}, { domain: "com.microsoft" });
    const branch = g.subgraph("then");
    const [b] = branch.node("Gelu", [a!], {}, { domain: "com.microsoft" });
    branch.output(b!, "float32", [2]);
    const other = g.subgraph("else");
    other.output(other.node("Identity", [a!])[0]!, "float32", [2]);
    const [out] = g.node("If", [cond], { then_branch: branch.graph(), else_branch: other.graph() });
    g.output(out!, "float32", [2]);
    const model = g.build();
    const broken = { ...model, opsetImports: model.opsetImports.filter((o) => o.domain === "") };
    const report = checkOpsets(broken);
    expect(report.ok).toBe(false);
    expect(report.unknownDomains).toEqual([
      { domain: "com.microsoft", nodeCount: 2, opTypes: ["FastGelu", "Gelu"] },
    ]);
  });
});
