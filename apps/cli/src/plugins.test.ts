import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { methodRegistry, stepFunctionRegistry } from "@tokenscope/core";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { memoryIO } from "./io.ts";
import { run } from "./main.ts";

// Plugins as careless or hostile authors write them: plain ES modules in a temporary folder, each
// file used once (a module is imported once per process).
const folder = mkdtempSync(join(tmpdir(), "tokenscope-plugins-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let written = 0;
/** Writes a plugin module and returns its path. */
function plugin(source: string, extension = "mjs"): string {
  written += 1;
  const path = join(folder, `plugin-${written}.${extension}`);
  writeFileSync(path, source);
  return path;
}

/** A well-formed method definition as module source, with `id` and overrides spliced in. */
function methodSource(id: string, overrides = ""): string {
  return `{
    id: ${JSON.stringify(id)},
    family: "heuristic",
    summary: "A plugin test method.",
    description: "Uniform attributions.",
    requires: ["tokenize"],
    supports: { targetPrefix: false, contrastive: false, batching: true },
    parameters: { "~standard": { version: 1, vendor: "test", validate: (value) => ({ value: value ?? {} }) } },
    run: async () => [],
    ${overrides}
  }`;
}

const ids = ["plugin_test_a", "plugin_test_b", "plugin_test_ok"];
afterEach(() => {
  for (const id of ids) methodRegistry.unregister(id);
  stepFunctionRegistry.unregister("plugin_test_step");
});

/** Runs `methods list --json` with the plugin and returns exit code and stderr. */
async function listWith(path: string): Promise<{ code: number; err: string; out: string }> {
  const io = memoryIO();
  const code = await run(["--plugin", path, "methods", "list", "--json"], io);
  return { code, err: io.err(), out: io.out() };
}

describe("plugins that fail clearly", () => {
  it("a method whose id is not a string is refused at load, naming the file and the export (was accepted, then methods list crashed)", async () => {
    const path = plugin(
      `export const methods = [${methodSource("plugin_test_ok")}, { ...${methodSource("x")}, id: 42 }];`,
    );
    const { code, err } = await listWith(path);
    expect(code).toBe(3);
    expect(err).toContain("INVALID_INPUT");
    expect(err).toContain(path);
    expect(err).toContain("`methods[1]`");
    expect(err).toContain("id must be a string, got number 42");
    expect(err).not.toContain("please report");
    // The plugin's first, valid method was rolled back with the rest.
    expect(methodRegistry.has("plugin_test_ok")).toBe(false);
  });

  it("a register() that throws exits 3 with its message, not 1", async () => {
    const path = plugin(
      `export function register() { throw new TypeError("cannot read 'x' of undefined"); }`,
    );
    const { code, err } = await listWith(path);
    expect(code).toBe(3);
    expect(err).toContain(
      `plugin file "${path}" failed in its register(): TypeError: cannot read 'x' of undefined`,
    );
    expect(err).not.toContain("please report");
  });

  it("a plugin that throws on import is reported as failing while loading, with the cause, not as missing", async () => {
    const path = plugin(`throw new Error("missing API key PLUGIN_TOKEN");\nexport const methods = [];`);
    const { code, err } = await listWith(path);
    expect(code).toBe(3);
    expect(err).toContain(`plugin file "${path}" failed while loading: missing API key PLUGIN_TOKEN`);
    expect(err).not.toMatch(/does not exist|not installed/);
  });

  it("a syntax error is a plugin failing while loading, not a missing file (the cause's wording depends on the loader: see exit-codes.test.ts for node and tsx)", async () => {
    for (const [source, extension] of [
      ["export const methods = [;\n", "mjs"],
      ["export const methods: number[] = [;\n", "ts"],
    ] as const) {
      const path = plugin(source, extension);
      const { code, err } = await listWith(path);
      expect(code).toBe(3);
      expect(err).toContain(`plugin file "${path}" failed while loading: `);
      expect(err).not.toMatch(/does not exist|not installed/);
      // Loaders colour their messages; the colour codes are dropped.
      expect(err).not.toContain("\u001b");
    }
  });

  it("a dependency the plugin imports that is missing is not mistaken for the plugin missing", async () => {
    const path = plugin(`import "tokenscope-no-such-dependency";\nexport const methods = [];`);
    const { code, err } = await listWith(path);
    expect(code).toBe(3);
    expect(err).toContain("failed while loading");
    expect(err).toContain("tokenscope-no-such-dependency");
  });

  it("a plugin that does not exist, or a package that is not installed, is IO_ERROR (4) saying which", async () => {
    const missing = await listWith(join(folder, "nowhere.mjs"));
    expect(missing.code).toBe(4);
    expect(missing.err).toContain("does not exist");
    const io = memoryIO();
    expect(await run(["--plugin", "tokenscope-no-such-plugin-package", "methods", "list"], io)).toBe(4);
    expect(io.err()).toContain('plugin package "tokenscope-no-such-plugin-package" is not installed');
    expect(io.err()).toContain("npm install tokenscope-no-such-plugin-package");
  });

  it.each([
    ['export const methods = "x";', "exports `methods` as a string; it must be an array of definitions"],
    ["export const stepFunctions = { id: 'a' };", "exports `stepFunctions` as a object; it must be an array"],
    ["export const register = 5;", "exports `register` as a number; it must be a function"],
    ["export const version = 1;", "exports nothing tokenscope can register"],
    [
      "export const methods = [null];",
      "`methods[0]`: Cannot register the method: the definition must be an object",
    ],
    [
      `export const methods = [${methodSource("plugin_test_a", 'run: "later"')}];`,
      "run must be a function, got the string",
    ],
  ])("refuses %s with exit 3", async (source, problem) => {
    const { code, err } = await listWith(plugin(source));
    expect(code).toBe(3);
    expect(err).toContain(problem);
  });

  it("a plugin that registers an id already taken says which plugin and which id (DUPLICATE_ID, 3)", async () => {
    const path = plugin(`export const methods = [${methodSource("saliency")}];`);
    const { code, err } = await listWith(path);
    expect(code).toBe(3);
    expect(err).toContain("DUPLICATE_ID");
    expect(err).toContain(path);
    expect(err).toContain('A method with id "saliency" is already registered');
    // The built-in is still the built-in.
    expect(methodRegistry.get("saliency").family).toBe("gradient");
  });

  it("registers a well-formed plugin's definitions, and its default export's (CommonJS style)", async () => {
    const named = await listWith(plugin(`export const methods = [${methodSource("plugin_test_a")}];`));
    expect(named.code, named.err).toBe(0);
    expect(JSON.parse(named.out)).toContainEqual(expect.objectContaining({ id: "plugin_test_a" }));
    const fallback = await listWith(
      plugin(`export default { methods: [${methodSource("plugin_test_b")}] };`),
    );
    expect(fallback.code, fallback.err).toBe(0);
    expect(methodRegistry.has("plugin_test_b")).toBe(true);
  });

  it("names TOKENSCOPE_PLUGINS as the source of a failing plugin given there", async () => {
    const path = plugin("export const methods = 3;");
    const previous = process.env["TOKENSCOPE_PLUGINS"];
    process.env["TOKENSCOPE_PLUGINS"] = ` ${path} ,`;
    try {
      const io = memoryIO();
      expect(await run(["methods", "list"], io)).toBe(3);
      expect(io.err()).toContain(`"${path}" (from TOKENSCOPE_PLUGINS)`);
    } finally {
      if (previous === undefined) delete process.env["TOKENSCOPE_PLUGINS"];
      else process.env["TOKENSCOPE_PLUGINS"] = previous;
    }
  });
});
