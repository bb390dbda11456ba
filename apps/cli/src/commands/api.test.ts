import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createOpenAiServer,
  type OpenAiServer,
  type RequestLogEntry,
} from "@tokenscope/api-attribution/server";
import { loadModel } from "@tokenscope/models/node";
import {
  type AttributionResult,
  attribute,
  type LanguageModel,
  parseResult,
  registerBuiltins,
} from "tokenscope";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// `tokenscope api attribute` end to end against `tokenscope serve`'s server over stories260K.
const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "tokenscope-api-"));
const sentinel = "sk-SENTINEL-4f7d1c9e2b";
let model: LanguageModel;
let server: OpenAiServer;
const seen: RequestLogEntry[] = [];

beforeAll(async () => {
  registerBuiltins();
  model = await loadModel(stories);
  server = await createOpenAiServer(model, {
    modelName: "stories260K",
    onRequest: (entry) => seen.push(entry),
  });
  process.env["TOKENSCOPE_TEST_KEY"] = sentinel;
});
afterAll(async () => {
  await server?.close();
  await model?.dispose?.();
  delete process.env["TOKENSCOPE_TEST_KEY"];
  rmSync(root, { recursive: true, force: true });
});

function resultsOf(stdout: string): AttributionResult[] {
  return stdout
    .trim()
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => parseResult(line));
}

const prompt = "Once upon a time there was a little girl";
const common = (cacheDir: string) => [
  "api",
  "attribute",
  prompt,
  "--base-url",
  server.url,
  "--model",
  "stories260K",
  "--mode",
  "completions",
  "--api-key-env",
  "TOKENSCOPE_TEST_KEY",
  "--max-new-tokens",
  "6",
  "--cache-dir",
  cacheDir,
];

describe("tokenscope api attribute", () => {
  it("logprob with removal through the API equals local occlusion (removal, logprob) within 1e-4", async () => {
    const io = memoryIO();
    const code = await run([...common(join(root, "cache-occlusion")), "--strategy", "logprob", "--json"], io);
    expect(code, io.err()).toBe(0);
    const [api] = resultsOf(io.out());
    const sequence = api!.sequences[0]!;
    expect(sequence.source.map((t) => t.text).join("")).toBe(prompt);
    const local = await attribute(model, prompt, {
      method: "occlusion",
      parameters: { unit: "word", baseline: "removal" },
      attributedFunction: "logprob",
      target: sequence.targetText,
      attributeTarget: false,
    });
    const localSequence = local.sequences[0]!;
    expect(localSequence.target.map((t) => t.text)).toEqual(sequence.target.map((t) => t.text));
    // Local columns are tokens (BOS first, scored 0); every token of a word carries the word's score.
    const words = sequence.source;
    localSequence.target.forEach((_, t) => {
      words.forEach((word, w) => {
        const column = localSequence.source.findIndex(
          (token) =>
            token.span !== null &&
            token.span[0] >= word.span![0] &&
            token.span[1] <= word.span![1] &&
            token.text.trim() !== "",
        );
        expect(sequence.sourceAttributions[t]![w]!).toBeCloseTo(
          localSequence.sourceAttributions[t]![column]!,
          4,
        );
      });
    });
  });

  it("never writes or prints the API key (the transport tests check the server got it); a repeated run is answered from the cache", async () => {
    const cacheDir = join(root, "cache-key");
    const out = join(root, "key.json");
    const log = join(root, "key.md");
    const first = memoryIO();
    const before = seen.length;
    expect(
      await run([...common(cacheDir), "--strategy", "prob_diff,logprob", "--out", out, "--log", log], first),
      first.err(),
    ).toBe(0);
    const sentFirst = seen.length - before;
    expect(sentFirst).toBeGreaterThan(10);
    const second = memoryIO();
    expect(await run([...common(cacheDir), "--strategy", "prob_diff,logprob"], second), second.err()).toBe(0);
    // Only the capability probe, which is never cached, reaches the server again.
    expect(seen.length - before - sentFirst).toBeLessThanOrEqual(3);
    const files = [out.replace(".json", "-prob_diff.json"), out.replace(".json", "-logprob.json"), log];
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? walk(path) : [path];
      });
    for (const file of [...files, ...walk(cacheDir)])
      expect(readFileSync(file, "utf8")).not.toContain(sentinel);
    for (const text of [first.out(), first.err(), second.out(), second.err()])
      expect(text).not.toContain(sentinel);
    expect(first.out()).toContain("prob_diff");
  });

  it("hierarchical perturbation, the dry run, and an unreachable server's exit code", async () => {
    const dry = memoryIO();
    expect(
      await run([...common(join(root, "dry")), "--dry-run", "--strategy", "logprob"], dry),
      dry.err(),
    ).toBe(0);
    // 9 words: 1 generation + 1 scoring of the original, then one scoring per word.
    expect(dry.out()).toContain("11 requests");
    const io = memoryIO();
    expect(
      await run(
        [
          ...common(join(root, "cache-tree")),
          "--perturbation",
          "hierarchical",
          "--strategy",
          "logprob",
          "--json",
        ],
        io,
      ),
      io.err(),
    ).toBe(0);
    expect(resultsOf(io.out())[0]!.info.method.id).toBe("api_hierarchical_perturbation");
    const down = memoryIO();
    const code = await run(
      [
        "api",
        "attribute",
        prompt,
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "x",
        "--max-retries",
        "0",
        "--no-cache",
      ],
      down,
    );
    expect(code).toBe(5);
  });

  it("token units, nearest-neighbour replacement and cosine; the saved result views and converts like any other", async () => {
    const out = join(root, "tokens.json");
    const io = memoryIO();
    const code = await run(
      [
        ...common(join(root, "cache-tokens")),
        "--unit",
        "token",
        "--tokenizer",
        stories,
        "--perturbation",
        "nearest",
        "--nearest-n",
        "1",
        "--embeddings",
        stories,
        "--strategy",
        "cosine",
        "--out",
        out,
        "--log",
        join(root, "tokens.csv"),
      ],
      io,
    );
    expect(code, io.err()).toBe(0);
    const saved = parseResult(readFileSync(out, "utf8"));
    const sequence = saved.sequences[0]!;
    const tokenized = await model.tokenize(prompt, { addSpecialTokens: false });
    expect(sequence.source.map((t) => t.id)).toEqual(
      tokenized.tokens.filter((t) => !t.special).map((t) => t.id),
    );
    expect(sequence.extras["sentenceScores"]).toHaveLength(sequence.source.length);
    for (const row of sequence.sourceAttributions)
      for (const cell of row) expect(cell).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(root, "tokens.csv"), "utf8").split("\r\n")[0]).toBe(
      "depth,changed,perturbed prompt,perturbed output,cosine",
    );
    const view = memoryIO();
    expect(await run(["view", out, "--md"], view), view.err()).toBe(0);
    expect(view.out()).toContain("| target |");
    const html = join(root, "tokens.html");
    expect(await run(["view", out, "--html", html], memoryIO())).toBe(0);
    expect(readFileSync(html, "utf8")).toContain("api_perturbation");
  });
});
