import { fileURLToPath } from "node:url";
import { methodRegistry, stepFunctionRegistry } from "@tokenscope/core";
import { afterEach, describe, expect, it } from "vitest";
import { memoryIO } from "./io.ts";
import { run } from "./main.ts";

const pluginPath = fileURLToPath(new URL("../test/fixtures/third-party-plugin.ts", import.meta.url));

afterEach(() => {
  methodRegistry.unregister("thirdparty_recency");
  stepFunctionRegistry.unregister("thirdparty_centred_logit");
});

describe("tokenscope CLI", () => {
  it("prints its version and help with exit code 0", async () => {
    const io = memoryIO();
    expect(await run(["--version"], io)).toBe(0);
    expect(io.out().trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = memoryIO();
    expect(await run(["--help"], help)).toBe(0);
    expect(help.out()).toContain("Exit codes:");
    expect(help.out()).toContain("methods");
  });

  it("exits 2 on an unknown command or option", async () => {
    const io = memoryIO();
    expect(await run(["frobnicate"], io)).toBe(2);
    // Names of Object.prototype's members are no commands either (was: exit 1).
    for (const name of ["toString", "constructor", "__proto__"])
      expect(await run([name], memoryIO())).toBe(2);
    expect(io.err()).toContain("unknown command");
    expect(await run(["methods", "list", "--nope"], memoryIO())).toBe(2);
  });

  it("lists the built-in step functions and aggregators, as text and as JSON", async () => {
    const io = memoryIO();
    expect(await run(["methods", "list", "--json"], io)).toBe(0);
    const entries = JSON.parse(io.out()) as { kind: string; id: string }[];
    const ids = entries.map((entry) => entry.id);
    expect(ids).toEqual(
      expect.arrayContaining(["probability", "logprob", "kl_divergence", "l2", "normalize"]),
    );
    const text = memoryIO();
    expect(await run(["methods", "list"], text)).toBe(0);
    expect(text.out()).toContain("Step functions");
    expect(text.out().includes("\u001b[")).toBe(false); // memory IO has colours off
  });

  it("explains a step function with its parameters and defaults", async () => {
    const io = memoryIO();
    expect(await run(["methods", "explain", "kl_divergence", "--json"], io)).toBe(0);
    const explanation = JSON.parse(io.out());
    expect(explanation.kind).toBe("stepFunction");
    expect(explanation.defaults).toMatchObject({ top_k: 0, top_p: 1 });
    const text = memoryIO();
    expect(await run(["methods", "explain", "kl_divergence"], text)).toBe(0);
    expect(text.out()).toContain("top_p");
  });

  it("fails with exit code 3 and the registered ids on an unknown id", async () => {
    const io = memoryIO();
    expect(await run(["methods", "explain", "no_such_method"], io)).toBe(3);
    expect(io.err()).toContain("UNKNOWN_ID");
    expect(io.err()).toContain("probability");
  });

  it("finds a third-party method and step function registered by a plugin", async () => {
    const listed = memoryIO();
    expect(await run(["--plugin", pluginPath, "methods", "list", "--json"], listed)).toBe(0);
    const entries = JSON.parse(listed.out()) as { kind: string; id: string; group: string }[];
    expect(entries).toContainEqual(expect.objectContaining({ kind: "method", id: "thirdparty_recency" }));
    expect(entries).toContainEqual(
      expect.objectContaining({ kind: "stepFunction", id: "thirdparty_centred_logit" }),
    );

    const explained = memoryIO();
    expect(await run(["methods", "explain", "thirdparty_recency", "--json"], explained)).toBe(0);
    const explanation = JSON.parse(explained.out());
    expect(explanation).toMatchObject({
      kind: "method",
      facts: { family: "heuristic", requires: ["tokenize"] },
    });
    expect(explanation.defaults).toEqual({ window: 2 });
  });

  it("reports a plugin that cannot be loaded with exit code 4", async () => {
    const io = memoryIO();
    expect(await run(["--plugin", "./does/not/exist.js", "methods", "list"], io)).toBe(4);
    expect(io.err()).toContain("IO_ERROR");
  });
});
