import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { LanguageModel } from "@tokenscope/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// `tokenscope serve` over the real stories260K, started in-process through the command: what it
// answers equals what the model computes.
const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const bin = fileURLToPath(new URL("../bin.ts", import.meta.url));
const PROMPT = "Once upon a time";

const controller = new AbortController();
const io = { ...memoryIO(), signal: controller.signal };
let running: Promise<number>;
let url: string;
let model: LanguageModel;

beforeAll(async () => {
  running = run(["serve", "--model", stories, "--port", "0"], io);
  const deadline = Date.now() + 30_000;
  while (!/serving .* at (\S+)/.test(io.err())) {
    if (Date.now() > deadline) throw new Error(`serve did not start: ${io.err()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  url = /serving .* at (\S+)/.exec(io.err())![1]!;
  const { loadModel } = await import("@tokenscope/models/node");
  model = await loadModel(stories);
});
afterAll(async () => {
  controller.abort();
  await running;
  await model?.dispose?.();
});

// biome-ignore lint/suspicious/noExplicitAny: answers are read field by field.
async function post(path: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

async function idsOf(text: string): Promise<number[]> {
  return (await model.tokenize(text)).tokens.map((token) => token.id!);
}

/** Log-softmax rows of forward logits over `ids`, computed here. */
async function logSoftmaxRows(ids: number[]): Promise<number[][]> {
  const { logits } = await model.forward!({ inputs: { ids: [ids] } });
  const vocab = logits.dims[2]!;
  return ids.map((_, t) => {
    const row = Array.from(logits.data.subarray(t * vocab, (t + 1) * vocab));
    const max = Math.max(...row);
    const log = Math.log(row.reduce((sum, value) => sum + Math.exp(value - max), 0)) + max;
    return row.map((value) => value - log);
  });
}

describe("tokenscope serve with stories260K", () => {
  it("prints its base URL on 127.0.0.1 and lists the model by its folder name", async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(io.err()).toContain("serving stories260K at http://127.0.0.1:");
    const list = await (await fetch(`${url}/models`)).json();
    expect(list.data.map((entry: { id: string }) => entry.id)).toEqual(["stories260K"]);
  });

  it("greedy completions equal model.generate, with real log-probabilities and the chosen token on top", async () => {
    const ids = await idsOf(PROMPT);
    expect(ids).toEqual([1, 403, 407, 261, 378]);
    const generated = await model.generate!(ids, { maxNewTokens: 20 });
    const { status, body } = await post("/completions", {
      model: "stories260K",
      prompt: PROMPT,
      max_tokens: 20,
      temperature: 0,
      logprobs: 5,
    });
    expect(status).toBe(200);
    const choice = body.choices[0];
    expect(choice.text).toBe(generated.text);
    expect(choice.text.startsWith(", there was a little girl named Lily.")).toBe(true);
    const rows = await logSoftmaxRows([...ids, ...generated.ids]);
    expect(choice.logprobs.tokens.join("")).toBe(choice.text);
    choice.logprobs.token_logprobs.forEach((logprob: number, j: number) => {
      const position = ids.length - 1 + j;
      expect(Math.abs(logprob - rows[position]![generated.ids[j]!]!)).toBeLessThan(1e-5);
      const top = Object.entries(choice.logprobs.top_logprobs[j] as Record<string, number>);
      const values = top.map(([, value]) => value);
      expect(values).toEqual([...values].sort((a, b) => b - a));
      // Greedy: the chosen token is the most likely one.
      expect(top[0]).toEqual([choice.logprobs.tokens[j], logprob]);
      const best = [...rows[position]!].sort((a, b) => b - a).slice(0, values.length);
      for (const [rank, value] of values.entries()) expect(Math.abs(value - best[rank]!)).toBeLessThan(1e-5);
    });
  });

  it("echo with max_tokens 0 returns the prompt's log-probabilities, BOS left out", async () => {
    const prompt = "Once upon a time there was a little dog named Max.";
    const ids = await idsOf(prompt);
    const { body } = await post("/completions", { prompt, max_tokens: 0, echo: true, logprobs: 1 });
    const logprobs = body.choices[0].logprobs;
    expect(body.choices[0].text).toBe(prompt);
    expect(logprobs.tokens.join("")).toBe(prompt);
    expect(logprobs.tokens).toHaveLength(ids.length - 1);
    const rows = await logSoftmaxRows(ids);
    logprobs.token_logprobs.forEach((logprob: number, i: number) => {
      expect(Math.abs(logprob - rows[i]![ids[i + 1]!]!)).toBeLessThan(1e-5);
    });
    expect(logprobs.text_offset[0]).toBe(0);
    expect(body.usage.prompt_tokens).toBe(ids.length);
  });

  it("chat and completions agree on plain text (stories260K has no chat template)", async () => {
    const settings = { max_tokens: 12, temperature: 0 };
    const chat = await post("/chat/completions", {
      messages: [{ role: "user", content: PROMPT }],
      logprobs: true,
      top_logprobs: 2,
      ...settings,
    });
    const completion = await post("/completions", { prompt: PROMPT, logprobs: 2, ...settings });
    expect(chat.body.choices[0].message.content).toBe(completion.body.choices[0].text);
    const content = chat.body.choices[0].logprobs.content;
    expect(content.map((token: { token: string }) => token.token)).toEqual(
      completion.body.choices[0].logprobs.tokens,
    );
    content.forEach(
      (token: { logprob: number; top_logprobs: { token: string; logprob: number }[] }, j: number) => {
        expect(token.logprob).toBe(completion.body.choices[0].logprobs.token_logprobs[j]);
        expect(token.top_logprobs[0]!.logprob).toBe(token.logprob);
      },
    );
    expect(chat.body.usage).toEqual(completion.body.usage);
  });

  it("samples reproducibly with a seed, and differently with other seeds", async () => {
    const ask = (seed: number) =>
      post("/completions", { prompt: "Once", max_tokens: 16, temperature: 1, seed }).then(
        (answer) => answer.body.choices[0].text,
      );
    const first = await ask(7);
    expect(await ask(7)).toBe(first);
    const others = await Promise.all([1, 2, 3, 4].map(ask));
    expect(others.some((text) => text !== first)).toBe(true);
  });

  it("cuts at a stop string", async () => {
    const { body } = await post("/completions", {
      prompt: PROMPT,
      max_tokens: 30,
      temperature: 0,
      stop: ["Lily", "zzz"],
      logprobs: 0,
    });
    expect(body.choices[0].text).toBe(", there was a little girl named ");
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.choices[0].logprobs.tokens.join("")).toBe(body.choices[0].text);
  });

  it("answers bad input with 4xx OpenAI errors and keeps serving", async () => {
    const answers = await Promise.all([
      post("/completions", "{"),
      post("/completions", { model: "gpt-4o", prompt: "hi" }),
      post("/completions", { prompt: "hi", max_tokens: "ten" }),
      post("/completions", { prompt: "Once ".repeat(600) }),
      post("/chat/completions", { messages: "hi" }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([400, 404, 400, 400, 400]);
    for (const answer of answers) expect(answer.body.error).toMatchObject({ message: expect.any(String) });
    expect(answers[3]!.body.error.code).toBe("context_length_exceeded");
    expect((await post("/completions", { prompt: PROMPT, max_tokens: 2 })).status).toBe(200);
  });
});

describe("tokenscope serve, outside", () => {
  it("warns when binding an address other than loopback, and reports a host it cannot bind (exit 3)", async () => {
    const other = memoryIO();
    // 192.0.2.1 (TEST-NET-1) is on no interface here, so nothing is exposed.
    expect(await run(["serve", "--model", stories, "--host", "192.0.2.1", "--port", "0"], other)).toBe(3);
    expect(other.err()).toContain("warning: binding 192.0.2.1");
    expect(other.err()).toContain("Cannot listen on 192.0.2.1");
  });

  it("refuses a port above 65535 (exit 2)", async () => {
    expect(await run(["serve", "--model", stories, "--port", "70000"], memoryIO())).toBe(2);
  });

  it("stops within 2 s of Ctrl-C, with exit 0", async () => {
    const child = spawn(
      process.execPath,
      ["--conditions=@tokenscope/source", "--import", "tsx", bin, "serve", "--model", stories, "--port", "0"],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NO_COLOR: "1", TOKENSCOPE_PLUGINS: "" },
      },
    );
    let stderr = "";
    const serving = new Promise<string>((resolve) => {
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /serving .* at (\S+)/.exec(stderr);
        if (match) resolve(match[1]!);
      });
    });
    child.stdout!.resume();
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.on("exit", (code) => resolve({ code, at: performance.now() })),
    );
    const base = await serving;
    expect((await fetch(`${base}/models`)).status).toBe(200);
    const sent = performance.now();
    child.kill("SIGINT");
    const { code, at } = await exited;
    expect(code, stderr).toBe(0);
    expect(at - sent).toBeLessThan(2_000);
    expect(stderr).toContain("stopped");
    await expect(fetch(`${base}/models`)).rejects.toThrow();
  });
});
