import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { jupyterDisplay, toHtml, toMimeBundle } from "@tokenscope/viz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wrapResult } from "./attribution-output.ts";
import { nodePlatform } from "./node-platform.ts";
import { findNotebookDisplay } from "./notebook-display.ts";

const result = makeResult([makeSequence({ source: ["a", " b"], target: [" c"] })]);
const bundle = toMimeBundle(result);

describe("notebook display", () => {
  let folder: string;
  beforeAll(async () => {
    // A stand-in for an installed tslab kernel: its bin script and its module, which records what it shows.
    folder = await mkdtemp(join(tmpdir(), "tokenscope-tslab-"));
    const tslab = join(folder, "node_modules", "tslab");
    await mkdir(join(tslab, "bin"), { recursive: true });
    await writeFile(join(tslab, "package.json"), JSON.stringify({ name: "tslab", main: "index.js" }));
    await writeFile(
      join(tslab, "index.js"),
      "exports.shown = []; exports.display = { html: (s) => exports.shown.push(s) };\n",
    );
    await writeFile(join(tslab, "bin", "tslab"), "#!/usr/bin/env node\n");
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it("uses the tslab kernel's own module, resolved from the kernel's script", async () => {
    const script = join(folder, "node_modules", "tslab", "bin", "tslab");
    const display = findNotebookDisplay({ script });
    expect(display).not.toBeNull();
    display!(bundle);
    const { createRequire } = await import("node:module");
    const tslab = createRequire(script)("tslab") as { shown: string[] };
    expect(tslab.shown).toEqual([bundle["text/html"]]);
  });

  it("uses Deno.jupyter.display with the raw MIME bundle under deno jupyter", () => {
    const calls: unknown[][] = [];
    const deno = { jupyter: { display: (...args: unknown[]) => calls.push(args) } };
    findNotebookDisplay({ script: "/usr/bin/deno", deno })!(bundle);
    expect(calls).toEqual([[bundle, { raw: true }]]);
  });

  it("is null in a terminal, in plain Deno, and where a tslab path has no tslab module", () => {
    expect(findNotebookDisplay({ script: "/work/app/main.js" })).toBeNull();
    expect(findNotebookDisplay({ script: "/usr/bin/deno", deno: { version: {} } })).toBeNull();
    // Plain `deno run`: the getter of Deno.jupyter throws outside `deno jupyter`.
    const plainDeno = Object.defineProperty({}, "jupyter", {
      get() {
        throw new TypeError("Deno.jupyter is only available in `deno jupyter` subcommand");
      },
    });
    expect(findNotebookDisplay({ script: "/usr/bin/deno", deno: plainDeno })).toBeNull();
    expect(
      findNotebookDisplay({ script: join(tmpdir(), "tokenscope-no-tslab", "tslab", "bin", "tslab") }),
    ).toBeNull();
    // This test process is not a notebook: show() takes the terminal path.
    expect(findNotebookDisplay()).toBeNull();
  });

  it("results carry the Jupyter display method and their HTML page", () => {
    const output = wrapResult(result, nodePlatform);
    expect(output[jupyterDisplay]()).toEqual(bundle);
    expect((output as unknown as Record<symbol, () => unknown>)[Symbol.for("Jupyter.display")]!()).toEqual(
      bundle,
    );
    expect(output.toHtml({ digits: 2 })).toBe(toHtml(result, { digits: 2 }));
  });
});
