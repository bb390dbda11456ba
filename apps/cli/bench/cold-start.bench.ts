/**
 * Cold start of the CLI, side by side in one run: `tokenscope attribute --method saliency` from call
 * to result on issue 18's 12-layer/768 llama (random weights, 48 prompt + 16 generated tokens, 2
 * threads), with the weight cache off (every run converts and writes the weight file), on and empty
 * (the run that publishes it), and on and warm; and `tokenscope --version`, the fixed cost of
 * starting the CLI from source. Each run is a fresh process; the table gives the median and the range.
 *
 *   pnpm --filter @tokenscope/cli bench:cold-start [--runs 3]
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadHfTokenizer, writeRandomHfFolder } from "@tokenscope/models/node";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const bin = join(repo, "apps", "cli", "src", "bin.ts");
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf("--runs") + 1] ?? 3) || 3;

const root = mkdtempSync(join(tmpdir(), "tokenscope-cold-start-"));
try {
  const { folder } = await writeRandomHfFolder({
    architecture: "llama",
    layers: 12,
    hidden: 768,
    heads: 12,
    intermediate: 2048,
    vocab: 32000,
    seed: 3,
    out: join(root, "12l"),
  });
  // Words until the prompt is 48 tokens (BOS included), as the measurement.
  const tokenizer = await loadHfTokenizer(folder);
  let words = 1;
  const text = () => Array.from({ length: words }, (_, i) => `word${i}`).join(" ");
  while ((await tokenizer.encode(text(), { addSpecialTokens: true })).length < 48) words++;
  const prompt = text();
  const promptTokens = (await tokenizer.encode(prompt, { addSpecialTokens: true })).length;

  const time = (argv: string[], env: Record<string, string>): number => {
    const start = performance.now();
    execFileSync(process.execPath, ["--conditions=@tokenscope/source", "--import", "tsx", bin, ...argv], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ["ignore", "ignore", "inherit"],
    });
    return (performance.now() - start) / 1000;
  };
  const attribute = [
    "attribute",
    "--model",
    folder,
    prompt,
    "--max-new-tokens",
    "16",
    "--method",
    "saliency",
  ];
  const rows: [string, number[]][] = [];
  const measure = (title: string, make: () => number) => {
    const seconds = Array.from({ length: runs }, make);
    rows.push([title, seconds]);
  };
  measure("tokenscope --version", () => time(["--version"], {}));
  measure("attribute, weight cache off", () =>
    time([...attribute, "--threads", "2"], {
      TOKENSCOPE_WEIGHT_CACHE: "off",
      TOKENSCOPE_WEIGHTS_DIR: join(root, "off"),
    }),
  );
  let run = 0;
  measure("attribute, weight cache on, empty (publishes it)", () =>
    time([...attribute, "--threads", "2"], {
      TOKENSCOPE_WEIGHT_CACHE: "on",
      TOKENSCOPE_WEIGHTS_DIR: join(root, `empty-${run++}`),
    }),
  );
  measure("attribute, weight cache on, warm", () =>
    time([...attribute, "--threads", "2"], {
      TOKENSCOPE_WEIGHT_CACHE: "on",
      TOKENSCOPE_WEIGHTS_DIR: join(root, "empty-0"),
    }),
  );
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  console.log(
    `12-layer/768 llama, ${promptTokens} prompt + 16 generated tokens, 2 threads, ${runs} runs each\n`,
  );
  console.log("| run | median (s) | min (s) | max (s) |");
  console.log("| --- | --- | --- | --- |");
  for (const [title, seconds] of rows) {
    console.log(
      `| ${title} | ${median(seconds).toFixed(2)} | ${Math.min(...seconds).toFixed(2)} | ${Math.max(...seconds).toFixed(2)} |`,
    );
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
