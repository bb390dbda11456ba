import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeRandomHfFolder } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// Input that is the user's fault exits 2 (command line), 3 (bad input) or 4 (a file that cannot be
// loaded), with a message that says what was wrong and what to do; never 1 ("a bug, please report
// it"). The cases that depend on the real process (module loaders, environment) run the executable.
const bin = fileURLToPath(new URL("../bin.ts", import.meta.url));
const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "tokenscope-exit-codes-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const lfsPointer =
  "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 1064896\n";

/** The executable as `pnpm tokenscope` runs it, with the machine's hub settings out of the way. */
function tokenscope(args: string[], env: Record<string, string> = {}) {
  const started = performance.now();
  const result = spawnSync(
    process.execPath,
    ["--conditions=@tokenscope/source", "--import", "tsx", bin, ...args],
    {
      encoding: "utf8",
      env: {
        ...process.env,
        NO_COLOR: "1",
        TOKENSCOPE_PLUGINS: "",
        HF_HUB_OFFLINE: "1",
        HF_HUB_CACHE: join(root, "empty-cache"),
        ...env,
      },
      timeout: 30_000,
    },
  );
  return { code: result.status, stderr: result.stderr, seconds: (performance.now() - started) / 1000 };
}

/** The same command in-process (same exit code as the executable, no process start). */
async function inProcess(args: string[]) {
  const io = memoryIO();
  const code = await run(args, io);
  return { code, stderr: io.err() };
}

/** A copy of the random model folder with `change` applied to its config.json (or files replaced). */
function variant(name: string, edit: (folder: string) => void): string {
  const folder = join(root, name);
  mkdirSync(folder);
  for (const file of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]) {
    copyFileSync(join(root, "good", file), join(folder, file));
  }
  edit(folder);
  return folder;
}

function editConfig(change: Record<string, unknown>) {
  return (folder: string) => {
    const path = join(folder, "config.json");
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, "utf8")), ...change }));
  };
}

function plugin(name: string, source: string): string {
  const path = join(root, name);
  writeFileSync(path, source);
  return path;
}

beforeAll(async () => {
  await writeRandomHfFolder({
    architecture: "llama",
    layers: 1,
    hidden: 16,
    heads: 2,
    vocab: 300,
    seed: 1,
    out: join(root, "good"),
  });
});

describe("exit codes of the executable, where the input is at fault", () => {
  it("--threads abc, 0 and 100000 are a bad command line (2), not a bug (1)", async () => {
    for (const [threads, message] of [
      ["abc", "expected an integer from 1 to 1,024"],
      ["100000", "That is 100,000 threads, above tokenscope's limit of 1,024"],
    ] as const) {
      const result = tokenscope(["generate", "--model", stories, "--threads", threads, "Once"]);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain("please report");
    }
    const zero = await inProcess(["generate", "--model", stories, "--threads", "0", "Once"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("expected an integer from 1 to 1,024");
  });

  it("a config.json with 1e9 layers fails at once with 4 (was: a minute, then 1)", () => {
    const folder = variant("layers-1e9", editConfig({ num_hidden_layers: 1e9 }));
    const result = tokenscope(["generate", "--model", folder, "Once"]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain("num_hidden_layers is 1,000,000,000 layers, above tokenscope's limit");
    // Process start included; the refusal itself takes milliseconds.
    expect(result.seconds).toBeLessThan(15);
  });

  it("a Git LFS pointer instead of a llama2.c checkpoint is named (4)", () => {
    const folder = join(root, "lfs-bin");
    mkdirSync(folder);
    writeFileSync(join(folder, "model.bin"), lfsPointer);
    copyFileSync(join(stories, "tok512.bin"), join(folder, "tok512.bin"));
    const result = tokenscope(["generate", "--model", join(folder, "model.bin"), "Once"]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain("model.bin is a Git LFS pointer, not the file: run git lfs pull");
    expect(result.stderr).not.toContain("headDim");
  });

  it("--model gpt2 is a hub id, not a missing file (4, saying it is not in the cache)", () => {
    const result = tokenscope(["generate", "--model", "gpt2", "Once"]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain('"gpt2"');
    expect(result.stderr).toContain("not in the Hugging Face cache");
    expect(result.stderr).not.toContain("no such file or folder");
  });

  it("plugins with syntax errors name the file and where, under tsx and plain node alike (3)", () => {
    const typescript = plugin("broken.ts", "export const methods: number[] = [;\n");
    const ts = tokenscope(["--plugin", typescript, "methods", "list"]);
    expect(ts.code, ts.stderr).toBe(3);
    expect(ts.stderr).toContain(`plugin file "${typescript}" failed while loading`);
    expect(ts.stderr).toContain(`${typescript}:1:`);
    const javascript = plugin("broken.mjs", "export const methods = [;\n");
    const js = tokenscope(["--plugin", javascript, "methods", "list"]);
    expect(js.code, js.stderr).toBe(3);
    expect(js.stderr).toContain(
      `plugin file "${javascript}" failed while loading: SyntaxError: Unexpected token`,
    );
    expect(js.stderr).toContain(`node --check ${javascript}`);
  });

  it("a plugin that throws on import or in register(), or whose method id is a number, exits 3 naming where", () => {
    const throwing = plugin(
      "throws.mjs",
      'export function register() { throw new Error("no licence key"); }\n',
    );
    const thrown = tokenscope(["--plugin", throwing, "methods", "list"]);
    expect(thrown.code, thrown.stderr).toBe(3);
    expect(thrown.stderr).toContain("failed in its register(): no licence key");
    const atImport = plugin("throws-at-import.mjs", 'const x = 1;\nthrow new Error("no config");\n');
    const imported = tokenscope(["--plugin", atImport, "methods", "list"]);
    expect(imported.code, imported.stderr).toBe(3);
    expect(imported.stderr).toContain(`failed while loading: no config (at ${atImport}:2:7)`);
    const numeric = plugin(
      "numeric-id.mjs",
      `export const methods = [{ id: 7, family: "x", summary: "", description: "", requires: [],
        supports: { targetPrefix: false, contrastive: false, batching: false },
        parameters: { "~standard": { version: 1, vendor: "t", validate: (v) => ({ value: v }) } },
        run: async () => [] }];\n`,
    );
    const refused = tokenscope(["--plugin", numeric, "methods", "list"]);
    expect(refused.code, refused.stderr).toBe(3);
    expect(refused.stderr).toContain("`methods[0]`");
    expect(refused.stderr).toContain("id must be a string, got number 7");
  });

  it("--step 99 is refused before the model loads (3)", () => {
    const result = tokenscope([
      "attribute",
      "--model",
      stories,
      "Once",
      "--max-new-tokens",
      "2",
      "--step",
      "99",
    ]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain("--step 99 is past the last generated token");
    expect(result.stderr).not.toContain("runs on"); // the model never loaded
  });
});

describe("exit codes of careless and hostile model files", () => {
  const cases: [string, () => string, RegExp][] = [
    ["an empty model folder", () => emptyFolder(), /holds no llama2\.c checkpoint and no single \.gguf file/],
    [
      "a config.json that is not JSON",
      () => variant("not-json", (f) => writeFileSync(join(f, "config.json"), "{ oops")),
      /config\.json is not valid JSON/,
    ],
    [
      "a config.json that is a JSON array",
      () => variant("array", (f) => writeFileSync(join(f, "config.json"), "[1, 2]")),
      /the config is not a JSON object/,
    ],
    [
      "negative layers",
      () => variant("negative", editConfig({ num_hidden_layers: -2 })),
      /num_hidden_layers must be a positive integer, got -2/,
    ],
    [
      "a fractional hidden size",
      () => variant("fraction", editConfig({ hidden_size: 16.5 })),
      /hidden_size must be an integer, got 16\.5/,
    ],
    [
      "heads that do not divide the hidden size",
      () =>
        variant("heads", editConfig({ num_attention_heads: 3, num_key_value_heads: 3, head_dim: undefined })),
      /hidden_size 16 is not a multiple of num_attention_heads 3/,
    ],
    [
      "vocabulary 0",
      () => variant("vocab-0", editConfig({ vocab_size: 0 })),
      /vocab_size must be a positive integer, got 0/,
    ],
    [
      "a tokenizer.json that is a JSON array",
      () => variant("tokenizer-array", (f) => writeFileSync(join(f, "tokenizer.json"), "[]")),
      /tokenizer\.json is not a JSON object/,
    ],
    [
      "a truncated llama2.c checkpoint",
      () => llama2cFolder("truncated", readFileSync(join(stories, "stories260K.bin")).subarray(0, 500_000)),
      /calls for 1056540 bytes but the file has 500000.*truncated/,
    ],
    [
      "a GGUF file with a huge tensor count",
      hugeTensorCount,
      /the tensor count is 1152921504606846976, but the \d+ bytes left hold at most/,
    ],
    [
      "a GGUF file that is a Git LFS pointer",
      () => file("pointer.gguf", lfsPointer),
      /pointer\.gguf is a Git LFS pointer, not the file: run git lfs pull/,
    ],
    ...(["config.json", "tokenizer.json", "model.safetensors"] as const).map(
      (name): [string, () => string, RegExp] => [
        `a ${name} that is a Git LFS pointer`,
        () => variant(`lfs-${name}`, (f) => writeFileSync(join(f, name), lfsPointer)),
        new RegExp(`${name.replace(".", "\\.")} is a Git LFS pointer, not the file: run git lfs pull`),
      ],
    ),
  ];

  function emptyFolder(): string {
    const folder = join(root, "empty");
    mkdirSync(folder, { recursive: true });
    return folder;
  }

  function file(name: string, content: string | Uint8Array): string {
    const path = join(root, name);
    writeFileSync(path, content);
    return path;
  }

  function llama2cFolder(name: string, checkpoint: Uint8Array): string {
    const folder = join(root, name);
    mkdirSync(folder);
    writeFileSync(join(folder, "model.bin"), checkpoint);
    copyFileSync(join(stories, "tok512.bin"), join(folder, "tok512.bin"));
    return folder;
  }

  function hugeTensorCount(): string {
    const bytes = Buffer.alloc(64);
    bytes.write("GGUF", 0);
    bytes.writeUInt32LE(3, 4);
    bytes.writeBigUInt64LE(2n ** 60n, 8);
    return file("huge-count.gguf", bytes);
  }

  it.each(cases)("%s exits 4 with what was wrong", async (_name, make, message) => {
    const result = await inProcess(["generate", "--model", make(), "Once"]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain("please report");
  });
});

describe("sizes and paths refused before any work", () => {
  it("models random sizes above the model limits are a bad command line (2)", async () => {
    const out = join(root, "never-written");
    const result = await inProcess([
      ...["models", "random", "--arch", "llama", "--layers", "1000000000", "--hidden", "16"],
      ...["--heads", "2", "--vocab", "300", "--seed", "1", "--out", out],
    ]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("1,000,000,000 layers, above tokenscope's limit of 1,024");
    expect(existsSync(out)).toBe(false);
  });

  it("models random weights above the size limit are refused before any is made (3)", async () => {
    const out = join(root, "never-written-either");
    const result = await inProcess([
      ...["models", "random", "--arch", "llama", "--layers", "64", "--hidden", "8192"],
      ...["--heads", "64", "--vocab", "300", "--seed", "1", "--out", out],
    ]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(
      /the size of the weights is [\d,]+ bytes, above tokenscope's limit of 8,589,934,592/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("attribute --max-new-tokens above the limit is refused before the model loads (3)", async () => {
    const result = await inProcess([
      "attribute",
      "--model",
      stories,
      "Once",
      "--max-new-tokens",
      "1000000000",
    ]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(
      "--max-new-tokens is 1,000,000,000 tokens, above tokenscope's limit of 131,072",
    );
    expect(result.stderr).not.toContain("runs on");
  });

  it("generate settings out of range are refused before the model loads (3)", async () => {
    for (const [flag, value, message] of [
      ["--top-p", "5", "topP: a number in (0, 1]"],
      ["--temperature", "-1", "temperature: a number ≥ 0"],
    ] as const) {
      const result = await inProcess(["generate", "--model", stories, "Once", flag, value]);
      expect(result.code, result.stderr).toBe(3);
      expect(result.stderr).toContain(message);
      expect(result.stderr).not.toContain("runs on");
    }
  });

  it("view --digits above 20 is a bad command line (2)", async () => {
    const result = await inProcess(["view", join(root, "no-such-result.json"), "--digits", "1000"]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain("1,000 digits, above tokenscope's limit of 20");
  });

  it("onnx grad refuses an --out that is a folder before reading the graph (4)", async () => {
    const folder = join(root, "out-is-a-folder");
    mkdirSync(folder, { recursive: true });
    const result = await inProcess([
      ...["onnx", "grad", join(root, "no-such-graph.onnx"), "--of", "logits", "--wrt", "input"],
      ...["--out", folder],
    ]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain("it is a folder");
    expect(result.stderr).not.toContain("no-such-graph");
  });

  it("attribute --out naming a folder is refused before the model loads (4)", async () => {
    const folder = join(root, "attribute-out-folder");
    mkdirSync(folder, { recursive: true });
    const result = await inProcess(["attribute", "--model", stories, "Once", "--out", folder]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain("it is a folder");
    // The model's "runs on ..." line is printed once it has loaded: it must not appear.
    expect(result.stderr).not.toContain("runs on");
  });

  it("onnx inspect of a FIFO is refused at once instead of blocking (4)", async () => {
    const fifo = join(root, "graph.onnx");
    const made = spawnSync("mkfifo", [fifo]);
    expect(made.status, String(made.stderr)).toBe(0);
    const result = await inProcess(["onnx", "inspect", fifo]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stderr).toContain("is a named pipe (FIFO), not a regular file");
  });
});
