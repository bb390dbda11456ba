import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_MAX_NEW_TOKENS, gunzip, loadResult } from "tokenscope";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// Inseq's `attribute` surface on the CLI: several prompts, input files, positions, aggregation
// pipelines, function and generation arguments, precision and split files.
const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const folder = mkdtempSync(join(tmpdir(), "tokenscope-attribute-options-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Saved {
  info: {
    attributedFunction: { id: string; parameters: Record<string, unknown> };
    execution?: { device: string; requestedDevice?: string; runtime: string; notes: string[] };
    extra: { generation?: Record<string, unknown> };
  };
  sequences: {
    sourceText: string;
    target: { text: string }[];
    sourceAttributions: (number | null)[][];
    targetAttributions: (number | null)[][] | null;
    rawSourceAttributions?: { dims: number[]; dtype: string };
    stepScores: Record<string, (number | null)[]>;
    aggregation: { id: string; parameters: Record<string, unknown> }[];
  }[];
}

async function cli(args: string[]) {
  const io = memoryIO();
  const code = await run(args, io);
  return { code, out: io.out(), err: io.err() };
}

async function attributeJson(args: string[]): Promise<Saved> {
  const { code, out, err } = await cli(["attribute", "--model", stories, ...args, "--json"]);
  expect(code, err).toBe(0);
  return JSON.parse(out) as Saved;
}

const rowTotal = (row: (number | null)[]) => row.reduce<number>((sum, cell) => sum + Math.abs(cell ?? 0), 0);

describe("tokenscope attribute: Inseq's surface", () => {
  it("attributes several prompts, each with its own forced target, over prompt and earlier targets by default", async () => {
    const result = await attributeJson([
      "Once upon a time",
      "The cat",
      "--target",
      ", there",
      "--target",
      " sat down",
    ]);
    expect(result.sequences.map((sequence) => sequence.sourceText)).toEqual(["Once upon a time", "The cat"]);
    expect(result.sequences.map((sequence) => sequence.target.map((token) => token.text).join(""))).toEqual([
      ", there",
      " sat down",
    ]);
    for (const sequence of result.sequences) {
      expect(sequence.targetAttributions).not.toBeNull();
      sequence.sourceAttributions.forEach((row, t) => {
        expect(rowTotal([...row, ...sequence.targetAttributions![t]!])).toBeCloseTo(1, 5);
      });
    }
    const promptOnly = await attributeJson(["The cat", "--target", " sat", "--no-attribute-target"]);
    expect(promptOnly.sequences[0]!.targetAttributions).toBeNull();
  });

  it("reads prompts from a text file and prompts with targets from a .jsonl file", async () => {
    const text = join(folder, "prompts.txt");
    writeFileSync(text, "Once upon a time\n\nThe cat\n");
    const fromText = await attributeJson(["--input-file", text, "--max-new-tokens", "2"]);
    expect(fromText.sequences.map((sequence) => sequence.sourceText)).toEqual([
      "Once upon a time",
      "The cat",
    ]);
    expect(fromText.sequences.every((sequence) => sequence.target.length === 2)).toBe(true);
    const jsonl = join(folder, "prompts.jsonl");
    writeFileSync(
      jsonl,
      `${JSON.stringify({ prompt: "Lily\nsaw", target: " a" })}\n${JSON.stringify({ input_text: "Tom", generated_text: " ran" })}\n`,
    );
    const fromJsonl = await attributeJson(["--input-file", jsonl]);
    expect(
      fromJsonl.sequences.map((sequence) => [
        sequence.sourceText,
        sequence.target.map((t) => t.text).join(""),
      ]),
    ).toEqual([
      ["Lily\nsaw", " a"],
      ["Tom", " ran"],
    ]);
    const bad = join(folder, "bad.jsonl");
    writeFileSync(bad, '{"prompt": 3}\n');
    const refused = await cli(["attribute", "--model", stories, "--input-file", bad]);
    expect(refused.code).toBe(3);
    expect(refused.err).toContain("bad.jsonl, line 1");
  });

  it("attributes only --start-pos..--end-pos and generates the library's default number of tokens", async () => {
    const result = await attributeJson(["Once upon a time", "--start-pos", "1", "--end-pos", "3"]);
    const [sequence] = result.sequences;
    expect(sequence!.target).toHaveLength(DEFAULT_MAX_NEW_TOKENS);
    expect(result.info.extra.generation).toEqual({ maxNewTokens: DEFAULT_MAX_NEW_TOKENS });
    const attributed = sequence!.sourceAttributions.map((row) => row.some((cell) => cell !== null));
    expect(attributed.slice(0, 4)).toEqual([false, true, true, false]);
  });

  it("passes --attributed-fn-args, --generation-args (HF names) and --step-scores-args", async () => {
    const result = await attributeJson([
      "Once upon a time",
      "--attributed-fn-args",
      '{"logprob": true}',
      "--generation-args",
      '{"max_new_tokens": 3, "do_sample": false}',
      "--step-scores",
      "probability,top_p_size",
      "--step-scores-args",
      '{"top_p_size": {"top_p": 0.5}}',
    ]);
    expect(result.info.attributedFunction).toEqual({ id: "probability", parameters: { logprob: true } });
    expect(result.info.extra.generation).toEqual({ maxNewTokens: 3, temperature: 0 });
    const [sequence] = result.sequences;
    expect(sequence!.target).toHaveLength(3);
    expect(sequence!.stepScores["top_p_size"]!.every((value) => Number.isInteger(value) && value! >= 1)).toBe(
      true,
    );
    const unknown = await cli(["attribute", "--model", stories, "x", "--generation-args", '{"beams": 2}']);
    expect(unknown.code).toBe(3);
    expect(unknown.err).toContain('Unknown generation argument "beams"');
    const malformed = await cli(["attribute", "--model", stories, "x", "--generation-args", "{nope"]);
    expect(malformed.code).toBe(2);
  });

  it("builds aggregation pipelines: --aggregate none keeps raw vectors; --merge words, --rescale", async () => {
    const raw = await attributeJson(["Once upon a time", "--target", ", there", "--aggregate", "none"]);
    const [rawSequence] = raw.sequences;
    expect(rawSequence!.aggregation).toEqual([]);
    expect(rawSequence!.rawSourceAttributions!.dims).toEqual([2, 5, 64]);
    expect(rawSequence!.sourceAttributions.flat().every((cell) => cell === null)).toBe(true);
    const merged = await attributeJson([
      "Once upon a time",
      "--target",
      ", there was",
      "--merge",
      "words",
      "--rescale",
    ]);
    expect(merged.sequences[0]!.aggregation.map((record) => record.id)).toEqual(["l2", "words", "rescale"]);
    const [mergedSequence] = merged.sequences;
    const cells = [
      ...mergedSequence!.sourceAttributions.flat(),
      ...mergedSequence!.targetAttributions!.flat(),
    ];
    expect(Math.max(...cells.map((cell) => Math.abs(cell ?? 0)))).toBeCloseTo(1, 6);
    const normalisedThenMerged = await attributeJson([
      "Once upon a time",
      "--target",
      ", there",
      "--merge",
      "words",
      "--merge-args",
      '{"reduce": "sum"}',
    ]);
    expect(
      normalisedThenMerged.sequences[0]!.aggregation.map((record) => [
        record.id,
        record.parameters["reduce"],
      ]),
    ).toEqual([
      ["l2", undefined],
      ["normalize", undefined],
      ["words", "sum"],
    ]);
    const clash = await cli(["attribute", "--model", stories, "x", "--rescale", "--normalize", "step"]);
    expect(clash.code).toBe(3);
  });

  it("saves at --precision, one file per sequence with --split-sequences, and view converts to Inseq's layout", async () => {
    const out = join(folder, "split.json");
    const { code, err } = await cli([
      "attribute",
      "--model",
      stories,
      "Once upon a time",
      "The cat",
      "--target",
      ",",
      "--aggregate",
      "none",
      "--precision",
      "float16",
      "--split-sequences",
      "--out",
      out,
    ]);
    expect(code, err).toBe(0);
    const saved = JSON.parse(readFileSync(join(folder, "split-1.json"), "utf8")) as Saved;
    expect(saved.sequences).toHaveLength(1);
    expect(saved.sequences[0]!.rawSourceAttributions!.dtype).toBe("float16");
    const shown = await cli(["view", join(folder, "split-0.json"), "--aggregate", "l2"]);
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toContain("l2 → normalize");
    const inseq = join(folder, "inseq.json.gz");
    const converted = await cli([
      "view",
      join(folder, "split-0.json"),
      "--aggregate",
      "l2",
      "--to",
      "inseq",
      "--out",
      inseq,
    ]);
    expect(converted.code, converted.err).toBe(0);
    const inseqJson = JSON.parse(new TextDecoder().decode(gunzip(readFileSync(inseq))));
    expect(inseqJson.__instance_type__).toEqual(["inseq.data.attribution", "FeatureAttributionOutput"]);
    expect(inseqJson.attributes.sequence_attributions[0].attributes.attr_pos_start).toBe(5);
    const csv = await cli(["view", join(folder, "split-0.json"), "--aggregate", "l2", "--to", "csv"]);
    expect(csv.out.split("\n")[0]).toContain("sequence");
    expect((await loadResult(join(folder, "split-0.json"))).sequences).toHaveLength(1);
  });

  it("records the device it ran on, and why a CUDA request ended on the CPU", async () => {
    const result = await attributeJson(["Once upon a time", "--target", ",", "--device", "cuda"]);
    expect(result.info.execution).toBeDefined();
    if (result.info.execution!.device !== "cuda") {
      expect(result.info.execution).toMatchObject({
        device: "cpu",
        requestedDevice: "cuda",
        runtime: "onnxruntime-node",
      });
      expect(result.info.execution!.notes).toHaveLength(1);
    }
  });

  it("checks the method's parameters, the attributed function and the step scores before it loads the model", async () => {
    const missing = join(folder, "no-model-here");
    const cases: [string[], string][] = [
      [["--param", "absx=1"], "INVALID_PARAMETERS"],
      [["--attributed-fn", "probabilty"], "UNKNOWN_ID"],
      [["--attributed-fn-args", '{"logprob": "yes"}'], "INVALID_PARAMETERS"],
      [["--step-scores", "entropy,nope"], "UNKNOWN_ID"],
      [
        ["--step-scores", "top_p_size", "--step-scores-args", '{"top_p_size": {"top_p": 7}}'],
        "INVALID_PARAMETERS",
      ],
    ];
    for (const [args, code] of cases) {
      const result = await cli(["attribute", "--model", missing, "Once upon a time", ...args]);
      expect(result.code, args.join(" ")).toBe(3);
      expect(result.err, args.join(" ")).toContain(code);
    }
  });
});
