import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// `tokenscope attribute-dataset`: one result file per item plus index.json, resumable after a kill.
const bin = fileURLToPath(new URL("../bin.ts", import.meta.url));
const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "tokenscope-attribute-dataset-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let folders = 0;
const newDir = () => join(scratch, `out-${folders++}`);

interface Saved {
  info: { method: { id: string } };
  sequences: { sourceText: string; target: { text: string }[]; sourceAttributions: unknown }[];
}
interface Index {
  fingerprint: string;
  items: { index: number; key: string; file: string }[];
}
const readIndex = (dir: string) => JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as Index;
const readItem = (dir: string, file: string) => JSON.parse(readFileSync(join(dir, file), "utf8")) as Saved;

async function cli(args: string[]) {
  const io = memoryIO();
  const code = await run(args, io);
  return { code, out: io.out(), err: io.err() };
}

function input(name: string, content: string): string {
  const path = join(scratch, name);
  writeFileSync(path, content);
  return path;
}

const fast = ["--max-new-tokens", "1", "--step-scores", ""];

describe("tokenscope attribute-dataset: inputs", () => {
  it("reads .txt (one prompt per non-empty line), .jsonl (--column) and .csv (RFC 4180: quoted commas, line breaks, a BOM)", async () => {
    const cases: [string, string, string[], string[]][] = [
      ["p.txt", "Once upon a time\n\n  \nThe cat sat\r\n", [], ["Once upon a time", "The cat sat"]],
      [
        "p.jsonl",
        '{"id": 1, "question": "Once there was"}\n{"id": 2, "question": "Lily said \\"hi\\""}\n',
        ["--column", "question"],
        ["Once there was", 'Lily said "hi"'],
      ],
      [
        "p.csv",
        '\uFEFFid,text\r\n1,"Tom, the dog, ran"\r\n2,"One day\nthe sun"\r\n3,plain text\r\n',
        [],
        ["Tom, the dog, ran", "One day\nthe sun", "plain text"],
      ],
    ];
    for (const [name, content, extra, prompts] of cases) {
      const dir = newDir();
      const { code, out, err } = await cli([
        "attribute-dataset",
        "--model",
        stories,
        "--input",
        input(name, content),
        "--out-dir",
        dir,
        ...extra,
        ...fast,
      ]);
      expect(code, err).toBe(0);
      expect(out).toContain(`${prompts.length} items (${prompts.length} run)`);
      const index = readIndex(dir);
      expect(index.items.map((item) => item.file)).toEqual(prompts.map((_, at) => `item-0000${at + 1}.json`));
      expect(index.items.map((item) => readItem(dir, item.file).sequences[0]!.sourceText)).toEqual(prompts);
    }
  });

  it("takes forced targets from --target-column and every attribute option (here occlusion, --merge words)", async () => {
    const dir = newDir();
    const file = input(
      "t.csv",
      'prompt,continuation\n"Once upon a time",", there was"\nThe cat," sat down"\n',
    );
    const { code, err } = await cli(
      ["attribute-dataset", "--model", stories, "--input", file, "--out-dir", dir, "--target-column"].concat([
        "continuation",
        "--method",
        "occlusion",
        "--merge",
        "words",
      ]),
    );
    expect(code, err).toBe(0);
    const results = readIndex(dir).items.map((item) => readItem(dir, item.file));
    expect(results.map((result) => result.info.method.id)).toEqual(["occlusion", "occlusion"]);
    expect(results.map((result) => result.sequences[0]!.target.map((token) => token.text).join(""))).toEqual([
      ", there was",
      " sat down",
    ]);
  });

  it("refuses other settings on resume, a folder of other files, an edited input and bad columns, naming the problem", async () => {
    const dir = newDir();
    const file = input("r.txt", "Once upon a time\nThe cat\n");
    const base = ["attribute-dataset", "--model", stories, "--input", file, "--out-dir", dir];
    expect((await cli([...base, ...fast])).code).toBe(0);
    const before = readFileSync(join(dir, "index.json"), "utf8");
    const other = await cli([...base, "--max-new-tokens", "2", "--step-scores", ""]);
    expect(other.code).toBe(3);
    expect(other.err).toContain("attribution.generation.maxNewTokens (1 there, 2 now)");
    expect(other.err).toContain("another place (a new --out-dir)");
    // Refused before the model loads, and the folder is as it was.
    expect(other.err).not.toContain("runs on");
    expect(readFileSync(join(dir, "index.json"), "utf8")).toBe(before);

    writeFileSync(file, "Once upon a time\nThe dog\n");
    const edited = await cli([...base, ...fast]);
    expect(edited.code).toBe(3);
    expect(edited.err).toContain("the input was edited since the run began");

    const busy = newDir();
    mkdirSync(busy);
    writeFileSync(join(busy, "notes.txt"), "mine");
    const refused = await cli(["attribute-dataset", "--model", stories, "--input", file, "--out-dir", busy]);
    expect(refused.code).toBe(4);
    expect(refused.err).toContain("holds 1 file (e.g. notes.txt) but no run (index.json)");
    expect(readdirSync(busy)).toEqual(["notes.txt"]);

    const csv = input("c.csv", "id,question\n1,hello\n");
    const noColumn = await cli([
      "attribute-dataset",
      "--model",
      stories,
      "--input",
      csv,
      "--out-dir",
      newDir(),
    ]);
    expect(noColumn.code).toBe(3);
    expect(noColumn.err).toContain(
      'the header has no column "text" or "prompt" (its columns: "id", "question")',
    );
    const twice = await cli([...base, "--target", "a", "--target", "b"]);
    expect(twice.err).toContain("--target is given 2 times");
  });
});

// The Done-when check of issue 14: killed with SIGKILL twice at random points, then resumed, a run gives the same results as an uninterrupted one, with no duplicates and no
// temporary or half-written file.
describe("tokenscope attribute-dataset: resumable after a kill", () => {
  const prompts = Array.from(
    { length: 20 },
    (_, at) => `${["Once upon a time", "The little dog", "Lily went to", "One day, Tom"][at % 4]} ${at}`,
  );
  const file = input("twenty.txt", `${prompts.join("\n")}\n`);
  const args = (dir: string) => ["attribute-dataset", "--model", stories, "--input", file, "--out-dir", dir];
  const options = ["--max-new-tokens", "3", "--method", "input_x_gradient", "--attribute-target"];

  function start(dir: string) {
    const child = spawn(
      process.execPath,
      ["--conditions=@tokenscope/source", "--import", "tsx", bin, ...args(dir), ...options],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, NO_COLOR: "1", TOKENSCOPE_PLUGINS: "" } },
    );
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
      child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
    );
    return { child, exit };
  }

  const done = (dir: string) => (existsSync(join(dir, "index.json")) ? readIndex(dir).items.length : 0);

  /** Starts the run and interrupts it once `atLeast` items are done, after a random delay. */
  async function interrupt(dir: string, atLeast: number, how: "SIGKILL" | "SIGINT") {
    const { child, exit } = start(dir);
    let exited = false;
    void exit.then(() => {
      exited = true;
    });
    while (!exited && done(dir) < atLeast) await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 150));
    const sent = performance.now();
    child.kill(how);
    const outcome = await exit;
    return { ...outcome, afterSignalMs: performance.now() - sent, done: done(dir) };
  }

  const numbers = (dir: string) =>
    readIndex(dir).items.map((item) => {
      const saved = readItem(dir, item.file);
      // info holds timestamps and durations: only the sequences must be equal.
      return { file: item.file, key: item.key, sequences: saved.sequences };
    });

  // (A Ctrl-C in between raced the run's end on a loaded CI machine; Ctrl-C is covered by cancel.test.)
  it("killed twice with SIGKILL, then resumed, it gives the uninterrupted run's 20 results", async () => {
    const reference = newDir();
    const whole = await cli([...args(reference), ...options]);
    expect(whole.code, whole.err).toBe(0);

    const dir = newDir();
    const first = 1 + Math.floor(Math.random() * 5);
    const kill1 = await interrupt(dir, first, "SIGKILL");
    const kill2 = await interrupt(dir, kill1.done + 1 + Math.floor(Math.random() * 4), "SIGKILL");
    const points = JSON.stringify({ kill1: kill1.done, kill2: kill2.done });
    expect(kill1.signal, points).toBe("SIGKILL");
    expect(kill2.signal, points).toBe("SIGKILL");
    expect(kill2.done, points).toBeGreaterThan(kill1.done);

    const resumed = await cli([...args(dir), ...options]);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.out).toContain(`20 items (${20 - kill2.done} run now, ${kill2.done} done before)`);
    expect(numbers(dir)).toEqual(numbers(reference));
    const index = readIndex(dir);
    expect(new Set(index.items.map((item) => item.key)).size).toBe(20);
    expect(index.items.map((item) => item.index)).toEqual(prompts.map((_, at) => at));
    // Nothing else in the folder: no temporary file, no lock, no duplicate.
    expect(readdirSync(dir).sort()).toEqual(["index.json", ...index.items.map((item) => item.file)].sort());
  }, 60_000);
});
