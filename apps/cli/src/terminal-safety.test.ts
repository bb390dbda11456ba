import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serializeResult, terminalSafe, toCsv } from "@tokenscope/core";
import { loadResult } from "@tokenscope/core/node";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { readLlama2cVocabulary } from "@tokenscope/models";
import { writeRandomHfFolder } from "@tokenscope/models/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/*
 * Everything the CLI prints passes one gate (io.ts, core's terminalSafe): these tests feed it a model
 * vocabulary, a model path, a config, a saved result and command-line ids full of escape sequences,
 * run the real command in a child process, and check the raw bytes that reach the terminal.
 */

const bin = fileURLToPath(new URL("./bin.ts", import.meta.url));
const runMany = fileURLToPath(new URL("./run-many.test-helpers.ts", import.meta.url));
const stories = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));

const osc52 = "\u001b]52;c;aGk=\u0007";
/** What a hostile text holds: a clipboard write, clear screen, a bare CR, C1 CSI, RLO, DEL, conceal. */
const hostile = `${osc52}\u001b[2J\r\u009b\u202e\u007f\u001b[8m`;
const attacks = [osc52, "\u001b[2J\u001b[H", "\rX", "\u009b31m", "\u202e", "\u007f", "\u001b[8m", "\u0007"];

const modes = { plain: { NO_COLOR: "1" }, colour: { FORCE_COLOR: "3" } } as const;
type Mode = keyof typeof modes;

interface Output {
  code: number;
  stdout: Buffer;
  stderr: Buffer;
}

function node(args: string[], mode: Mode): Promise<Output> {
  return new Promise((resolve, reject) => {
    const { NO_COLOR, FORCE_COLOR, TOKENSCOPE_DEBUG, ...inherited } = process.env;
    const child = spawn(process.execPath, ["--conditions=@tokenscope/source", "--import", "tsx", ...args], {
      env: { ...inherited, ...modes[mode] },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr) }),
    );
  });
}

/** Splits the output of run-many.test-helpers.ts at its NUL markers, byte for byte. */
function splitRuns(bytes: Buffer, count: number): { code: number; bytes: Buffer }[] {
  const parts = bytes.toString("latin1").split("\u0000");
  expect(parts.length, "every command finished").toBe(2 * count + 1);
  return Array.from({ length: count }, (_, i) => ({
    code: Number(parts[2 * i + 1]!.split(" ")[1]),
    bytes: Buffer.from(parts[2 * i]!, "latin1"),
  }));
}

/** Runs several command lines in one child process per colour mode, both modes at once. */
async function runAll(commands: (mode: Mode) => string[][]): Promise<Record<Mode, Output[]>> {
  const [plain, colour] = await Promise.all(
    (["plain", "colour"] as const).map(async (mode) => {
      const commandLines = commands(mode);
      const output = await node([runMany, JSON.stringify(commandLines)], mode);
      expect(output.code, output.stderr.toString()).toBe(0);
      const out = splitRuns(output.stdout, commandLines.length);
      const err = splitRuns(output.stderr, commandLines.length);
      return out.map((run, i) => ({ code: run.code, stdout: run.bytes, stderr: err[i]!.bytes }));
    }),
  );
  return { plain: plain!, colour: colour! };
}

/** The colour sequences a terminal may get in colour mode: SGR without blink (5), reverse (7), conceal (8). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding escape sequences is the point.
const sgr = /\u001b\[[\d;]*m/g;

/** The blink, reverse and conceal codes in one SGR sequence (the colour arguments of 38 and 48 skipped). */
function hidingCodes(sequence: string): number[] {
  const codes = sequence.slice(2, -1).split(";").map(Number);
  const hiding: number[] = [];
  for (let i = 0; i < codes.length; i++) {
    if ((codes[i] === 38 || codes[i] === 48) && codes[i + 1] === 5) i += 2;
    else if ((codes[i] === 38 || codes[i] === 48) && codes[i + 1] === 2) i += 4;
    else if ([5, 7, 8].includes(codes[i]!)) hiding.push(codes[i]!);
  }
  return hiding;
}

/**
 * Fails unless `bytes` could not act on a terminal: no C0 control but LF and TAB (CR only in CR LF,
 * when `crlf`), no DEL, no C1 code point, no bidirectional override or isolate, and no ESC except, in
 * colour mode, colour sequences.
 */
function expectTerminalSafe(bytes: Buffer, mode: Mode, what: string, crlf = false): void {
  bytes.forEach((byte, i) => {
    const allowed = byte === 0x0a || byte === 0x09 || byte === 0x1b || byte >= 0x20;
    const lineEnd = crlf && byte === 0x0d && bytes[i + 1] === 0x0a;
    if (!allowed && !lineEnd) expect.fail(`${what} (${mode}): byte 0x${byte.toString(16)} at ${i}`);
    if (byte === 0x7f) expect.fail(`${what} (${mode}): DEL at ${i}`);
  });
  const text = bytes.toString("utf8");
  expect(text, `${what} (${mode}): C1 or bidi`).not.toMatch(/[\u0080-\u009f\u202a-\u202e\u2066-\u2069]/);
  const escapes = text.match(sgr) ?? [];
  if (mode === "plain") expect(escapes, `${what}: colours without colour`).toEqual([]);
  for (const sequence of escapes)
    expect(hidingCodes(sequence), `${what}: ${JSON.stringify(sequence)}`).toEqual([]);
  expect(text.replace(sgr, ""), `${what} (${mode}): ESC outside colours`).not.toContain("\u001b");
}

function expectAllSafe(runs: Record<Mode, Output[]>, names: readonly string[], crlf: readonly number[] = []) {
  for (const mode of ["plain", "colour"] as const) {
    runs[mode].forEach((run, i) => {
      expectTerminalSafe(run.stdout, mode, `${names[i]} stdout`, crlf.includes(i));
      expectTerminalSafe(run.stderr, mode, `${names[i]} stderr`);
    });
  }
}

/** Every string in a parsed JSON value. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

/**
 * llama2.c's stories260K with a tokenizer.bin whose multi-character pieces end in escape sequences
 * (BOS, EOS and unknown too), in a folder whose name holds some: what the model generates, its
 * tokens and its id are all hostile.
 */
async function writeHostileLlama2c(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  await copyFile(join(stories, "stories260K.bin"), join(folder, "stories260K.bin"));
  const vocabulary = readLlama2cVocabulary(await readFile(join(stories, "tok512.bin")));
  const pieces = vocabulary.pieces.map((piece, id) => {
    if (id < 3) return `<${attacks[id]}${piece}>`;
    // Single characters and byte pieces stay, so any prompt still tokenizes.
    if (piece.startsWith("<0x") || [...piece.replace(/^▁/, "")].length <= 1) return piece;
    return `${piece}${attacks[id % attacks.length]}`;
  });
  const encoded = pieces.map((piece) => new TextEncoder().encode(piece));
  const bytes = new Uint8Array(4 + encoded.reduce((sum, piece) => sum + 8 + piece.length, 0));
  const view = new DataView(bytes.buffer);
  view.setInt32(0, Math.max(...encoded.map((piece) => piece.length)), true);
  let offset = 4;
  encoded.forEach((piece, id) => {
    view.setFloat32(offset, vocabulary.scores[id]!, true);
    view.setInt32(offset + 4, piece.length, true);
    bytes.set(piece, offset + 8);
    offset += 8 + piece.length;
  });
  await writeFile(join(folder, "tokenizer.bin"), bytes);
}

/** Renames the first tensor of a safetensors file to `name` + {@link hostile}, rewriting the header. */
async function renameFirstTensor(file: string): Promise<void> {
  const bytes = await readFile(file);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
  const name = Object.keys(header).find((key) => key !== "__metadata__")!;
  header[`${name}${hostile}`] = header[name];
  delete header[name];
  // Offsets count from the end of the header, so the data stays valid; spaces keep it 8-byte aligned.
  const text = Buffer.from(JSON.stringify(header));
  const padded = Buffer.concat([text, Buffer.alloc((8 - (text.length % 8)) % 8, " ")]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(padded.length));
  await writeFile(file, Buffer.concat([prefix, padded, bytes.subarray(8 + headerLength)]));
}

let dir: string;
let model: string;
let badConfig: string;
let badTensor: string;
let result: string;
let badResult: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tokenscope-terminal-"));
  model = join(dir, `model-${osc52}\u001b[2J\u009b\u202e`);
  await writeHostileLlama2c(model);
  badConfig = join(dir, "hf");
  const tiny = { architecture: "llama", layers: 1, hidden: 16, heads: 2, vocab: 300, seed: 1 };
  await writeRandomHfFolder({ ...tiny, out: badConfig });
  badTensor = join(dir, "hf-tensor");
  await writeRandomHfFolder({ ...tiny, out: badTensor });
  await renameFirstTensor(join(badTensor, "model.safetensors"));
  const config = JSON.parse(await readFile(join(badConfig, "config.json"), "utf8"));
  await writeFile(
    join(badConfig, "config.json"),
    JSON.stringify({ ...config, model_type: `llama${hostile}` }),
  );
  const saved = makeResult(
    [
      makeSequence({
        source: [`a${hostile}`, "b"],
        target: [`c${hostile}`, "d"],
        stepScores: { [`p${hostile}`]: [0.5, 0.25] },
      }),
    ],
    { modelId: `m${hostile}`, methodId: `saliency${hostile}` },
  );
  result = join(dir, "result.json");
  await writeFile(result, serializeResult(saved));
  const damaged = JSON.parse(new TextDecoder().decode(serializeResult(saved)));
  damaged.sequences[0].source[0][`extra${hostile}`] = 1;
  badResult = join(dir, "damaged.json");
  await writeFile(badResult, JSON.stringify(damaged));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("nothing the CLI prints can act on the terminal", () => {
  it("generate, attribute and models inspect on a model whose vocabulary and path hold escape sequences", async () => {
    const prompt = "Once upon a time";
    const commands = [
      ["generate", "--model", model, prompt, "--max-new-tokens", "24"],
      ["generate", "--model", model, prompt, "--max-new-tokens", "24", "--json"],
      ["attribute", "--model", model, prompt, "--max-new-tokens", "3", "--method", "saliency"],
      ["attribute", "--model", model, prompt, "--max-new-tokens", "3", "--method", "saliency", "--json"],
      ["models", "inspect", model],
      ["models", "inspect", model, "--json"],
      ["models", "inspect", badConfig],
      ["models", "inspect", badTensor],
    ];
    const runs = await runAll(() => commands);
    expectAllSafe(runs, [
      "generate",
      "generate --json",
      "attribute",
      "attribute --json",
      "inspect",
      "inspect --json",
      "inspect bad config",
      "inspect bad tensor",
    ]);
    const [generate, generateJson, attribute, attributeJson, inspect, inspectJson, inspectBad, badName] =
      runs.plain as [Output, Output, Output, Output, Output, Output, Output, Output];
    for (const run of [generate, generateJson, attribute, attributeJson, inspect, inspectJson]) {
      expect(run.code, run.stderr.toString()).toBe(0);
    }
    // The hostile pieces were generated, and show as visible stand-ins.
    const generated = JSON.parse(generateJson.stdout.toString()).generated.text as string;
    expect(generated).toContain(osc52);
    expect(generate.stdout.toString()).toBe(`${terminalSafe(prompt + generated)}\n`);
    expect(generate.stdout.toString()).toContain("␛]52;c;aGk=␇");
    expect(attribute.stdout.toString()).toContain("␛]52;c;aGk=␇");
    // --json keeps every value exact.
    const attributed = JSON.parse(attributeJson.stdout.toString());
    expect(attributed.info.model.id).toBe(model);
    expect(strings(attributed).some((text) => attacks.slice(1).some((attack) => text.includes(attack)))).toBe(
      true,
    );
    expect(inspect.stdout.toString().split("\n")[0]).toBe(terminalSafe(model));
    expect(JSON.parse(inspectJson.stdout.toString()).id).toBe(model);
    expect(inspectBad.code).not.toBe(0);
    expect(inspectBad.stderr.toString()).toContain('model_type "llama␛]52;c;aGk=␇␛[2J␍��␡␛[8m"');
    expect(badName.code).toBe(4);
    expect(badName.stderr.toString()).toContain("␛]52;c;aGk=␇␛[2J␍��␡␛[8m");
    // Colour mode prints the same JSON, byte for byte.
    expect(runs.colour[5]!.stdout.toString()).toBe(inspectJson.stdout.toString());
  });

  it("view of a saved result with hostile token texts, ids, step scores and keys", async () => {
    const csvOut = (mode: Mode) => join(dir, `out-${mode}.csv`);
    const commands = (mode: Mode) => [
      ["view", result],
      ["view", badResult],
      ["view", result, "--to", "json"],
      ["view", result, "--to", "inseq"],
      ["view", result, "--to", "csv"],
      ["view", result, "--to", "markdown"],
      ["view", result, "--to", "csv", "--out", csvOut(mode)],
    ];
    // Each mode writes its own --out file; the command lines are otherwise the same.
    const runs = await runAll(commands);
    expectAllSafe(
      runs,
      ["view", "view damaged", "--to json", "--to inseq", "--to csv", "--to markdown", "--out"],
      [4],
    );
    const [view, damaged, json, inseq, csv, markdown, out] = runs.plain as Output[] as [
      Output,
      Output,
      Output,
      Output,
      Output,
      Output,
      Output,
    ];
    for (const run of [view, json, inseq, csv, markdown, out])
      expect(run.code, run.stderr.toString()).toBe(0);
    expect(view.stdout.toString()).toContain("m␛]52;c;aGk=␇␛[2J↵��␡␛[8m");
    expect(view.stdout.toString()).toContain("a␛]52;c;aGk=␇␛[2J");
    expect(damaged.code).toBe(3);
    expect(damaged.stderr.toString()).toContain("extra␛]52;c;aGk=␇␛[2J␍��␡␛[8m");
    const parsed = JSON.parse(json.stdout.toString());
    expect(parsed.info.model.id).toBe(`m${hostile}`);
    expect(parsed.sequences[0].source[0].text).toBe(`a${hostile}`);
    expect(Object.keys(parsed.sequences[0].stepScores)).toEqual([`p${hostile}`]);
    expect(strings(JSON.parse(inseq.stdout.toString()))).toContain(`saliency${hostile}`);
    expect(csv.stdout.toString()).toContain("\r\n");
    expect(csv.stdout.toString()).toContain("a␛]52;c;aGk=␇");
    expect(markdown.stdout.toString()).toContain("| a␛\\]52;c;aGk=␇");
    expect(runs.colour[2]!.stdout.toString()).toBe(json.stdout.toString());
    // A file written with --out is the conversion byte for byte, escape sequences and all.
    const expected = toCsv(await loadResult(result));
    for (const mode of ["plain", "colour"] as const)
      expect(await readFile(csvOut(mode), "utf8")).toBe(expected);
  });

  it("an unknown --method id and an unknown option, through bin.ts", async () => {
    // A colour sequence in a message must not colour (here: hide) the rest of it, even in colour mode.
    const method = ["attribute", "--model", stories, "Once", "--method", `${osc52}\u001b[30;40m`];
    const option = ["methods", "list", `--x${hostile}\u001b[30;40m`];
    const runs = await Promise.all(
      (["plain", "colour"] as const).flatMap((mode) => [
        node([bin, ...method], mode),
        node([bin, ...option], mode),
      ]),
    );
    const [methodPlain, optionPlain, methodColour, optionColour] = runs as [Output, Output, Output, Output];
    expectAllSafe({ plain: [methodPlain, optionPlain], colour: [methodColour, optionColour] }, [
      "unknown method",
      "unknown option",
    ]);
    for (const run of [methodPlain, methodColour]) {
      expect(run.code).toBe(3);
      expect(run.stderr.toString()).toContain('"␛]52;c;aGk=␇␛[30;40m"');
    }
    for (const run of [optionPlain, optionColour]) {
      expect(run.code).toBe(2);
      expect(run.stderr.toString()).toContain("--x␛]52;c;aGk=␇␛[2J␍��␡␛[8m␛[30;40m");
    }
    expect(methodColour.stderr.toString()).toContain("\u001b[31m");
  });
});
