/**
 * End to end in Deno's real Jupyter kernel (`deno jupyter --kernel`, from the `deno` devDependency):
 * a result wrapped for Node, bundled as Deno would load it from a user's notebook, is shown as the
 * interactive HTML view, both as the value of a cell (`[Symbol.for("Jupyter.display")]`) and through
 * `show()` (`Deno.jupyter.display`). The test speaks the Jupyter wire protocol to the kernel over
 * ZeroMQ, as a notebook front end would; no network is needed.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { MimeBundle } from "@tokenscope/viz";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Execution,
  findDenoExecutable,
  type JupyterMessage,
  type KernelClient,
  startKernel,
} from "./jupyter-client.test-helpers.ts";

const deno = findDenoExecutable();
const hostile = "<script>alert(1)</script>";

/**
 * The notebook's side: a result with a hostile token, wrapped for Node, and the bundle it should show.
 * It imports the package's own source, bundled with its npm dependencies, so Deno needs no install.
 */
const entry = `
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { toMimeBundle } from "@tokenscope/viz";
import { wrapResult } from "./attribution-output.ts";
import { nodePlatform } from "./node-platform.ts";

const result = makeResult([
  makeSequence({ source: ["Hello", ${JSON.stringify(hostile)}, " world"], target: [" and", " more"] }),
]);
export const output = wrapResult(result, nodePlatform);
export const expected = toMimeBundle(result);
export function showIt() {
  return output.show();
}
`;

/** The one message of `type` in an execution's iopub messages. */
function only(execution: Execution, type: string): JupyterMessage {
  const found = execution.iopub.filter((message) => message.header.msg_type === type);
  expect(
    found.map((message) => message.header.msg_type),
    `iopub ${type} messages`,
  ).toEqual([type]);
  return found[0]!;
}

/** An execution's reply was `ok` and nothing went to stderr or came back as an error. */
function expectOk(execution: Execution): void {
  const errors = execution.iopub.filter(
    (message) =>
      message.header.msg_type === "error" ||
      (message.header.msg_type === "stream" && message.content["name"] === "stderr"),
  );
  expect(errors.map((message) => message.content)).toEqual([]);
  expect(execution.reply.content["status"]).toBe("ok");
}

/** The html shows the hostile token only escaped: no tag but the sandboxed frame itself. */
function expectContained(html: string): void {
  expect(html).not.toContain(hostile);
  expect(html).toMatch(/^<iframe sandbox="allow-scripts" [^<>]*><\/iframe>$/);
  // In srcdoc, the page's JSON data escapes the token's `<` and `>` as \u003c and \u003e.
  expect(html).toContain("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e");
}

describe.skipIf(deno === null && process.env.CI !== "true")("Deno's Jupyter kernel", () => {
  let folder: string | undefined;
  let kernel: KernelClient | undefined;
  let bundleUrl: string;
  let expected: MimeBundle;

  beforeAll(async () => {
    if (deno === null) throw new Error("the deno devDependency is not installed (it must be on CI)");
    folder = await mkdtemp(join(tmpdir(), "tokenscope-deno-jupyter-"));
    const bundleFile = join(folder, "bundle.mjs");
    await build({
      stdin: {
        contents: entry,
        resolveDir: dirname(fileURLToPath(import.meta.url)),
        sourcefile: "deno-jupyter-entry.ts",
        loader: "ts",
      },
      bundle: true,
      format: "esm",
      platform: "node",
      conditions: ["@tokenscope/source"],
      outfile: bundleFile,
      logLevel: "silent",
    });
    bundleUrl = pathToFileURL(bundleFile).href;
    // The same bundle, as Node loads it here: what the kernel must show, byte for byte.
    ({ expected } = (await import(bundleUrl)) as { expected: MimeBundle });
    kernel = await startKernel({ deno, folder });
  }, 120_000);

  afterAll(async () => {
    await kernel?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
  }, 30_000);

  it("shows a result as the interactive HTML view, as a cell's value and through show()", async () => {
    const client = kernel!;
    expect(client.info["implementation"]).toMatch(/deno/i);

    const value = await client.execute(`const m = await import(${JSON.stringify(bundleUrl)});\nm.output`, {
      outputs: ["execute_result"],
    });
    expectOk(value);
    const result = only(value, "execute_result");
    const data = result.content["data"] as MimeBundle;
    expect(data["text/html"]).toBe(expected["text/html"]);
    expect(data["text/plain"]).toBe(expected["text/plain"]);
    expectContained(data["text/html"]!);

    const shown = await client.execute("m.showIt()", { outputs: ["display_data", "execute_result"] });
    expectOk(shown);
    const display = only(shown, "display_data");
    const displayed = display.content["data"] as MimeBundle;
    expect(displayed["text/html"]).toBe(expected["text/html"]);
    expect(displayed["text/plain"]).toBe(expected["text/plain"]);
    expectContained(displayed["text/html"]!);
    // show() returns the bundle's text/plain line, which is then the cell's value.
    const returned = only(shown, "execute_result").content["data"] as MimeBundle;
    expect(returned["text/plain"]).toContain(expected["text/plain"]);

    expect([...client.shell, ...client.iopub].filter((message) => !message.signatureValid)).toEqual([]);
  }, 120_000);
});
