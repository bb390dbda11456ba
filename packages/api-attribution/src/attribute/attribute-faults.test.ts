import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDiskCache } from "../cache/disk-cache.ts";
import { probePrompt } from "../endpoint/capabilities.ts";
import { createEndpoint } from "../endpoint/create-endpoint.ts";
import { fixedPerturbation } from "../perturbation/fixed.ts";
import { type Fault, type FaultServer, startFaultServer } from "../testing/fault-server.test-helpers.ts";
import { attributeEndpoint } from "./attribute-endpoint.ts";

// A whole attribution through every fault the transport survives, against the fault-injecting server.
const prompt = "The quick brown fox jumps over the lazy dog near the river bank today";
let server: FaultServer;
let scratch: string;

beforeAll(async () => {
  server = await startFaultServer();
  scratch = await mkdtemp(join(tmpdir(), "tokenscope-attribute-faults-"));
});
afterAll(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});
beforeEach(() => {
  server.setFaults(undefined);
  server.reset();
});

// 400 ms times out the hanging faults quickly; runs without hangs take a long timeout, as a busy
// machine can answer a healthy request late and a retry would send it twice.
const endpointFor = (
  options: {
    cache?: ReturnType<typeof createDiskCache>;
    signal?: AbortSignal;
    timeoutMs?: number;
    onRetry?: (event: { reason: string; message: string }) => void;
  } = {},
) =>
  createEndpoint(
    { baseUrl: server.baseUrl, model: "fake", mode: "completions" },
    {
      concurrency: 4,
      timeoutMs: options.timeoutMs ?? 400,
      sleep: async () => {},
      ...(options.cache ? { cache: options.cache } : {}),
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    },
  );

const faults: Fault[] = [
  { kind: "status", status: 429, retryAfter: "0" },
  { kind: "status", status: 500 },
  { kind: "status", status: 503 },
  { kind: "hang" },
  { kind: "malformed-json" },
  { kind: "reset" },
];

describe("attributeEndpoint through faults", () => {
  it("scores every unit; what the server saw is what the endpoint counted, each prompt answered once", async () => {
    const clean = await attributeEndpoint(endpointFor(), prompt, {
      perturbation: fixedPerturbation(""),
      strategies: ["prob_diff", "logprob"],
      maxNewTokens: 4,
    });
    server.reset();
    // The first attempt of every third completion request fails, cycling through the faults.
    let next = 0;
    server.setFaults((request) =>
      request.path.endsWith("/completions") && request.attemptForPrompt === 0 && request.index % 3 === 0
        ? faults[next++ % faults.length]
        : undefined,
    );
    const endpoint = endpointFor();
    const faulty = await attributeEndpoint(endpoint, prompt, {
      perturbation: fixedPerturbation(""),
      strategies: ["prob_diff", "logprob"],
      maxNewTokens: 4,
    });
    expect(next).toBeGreaterThanOrEqual(faults.length);
    for (const [i, { result }] of faulty.results.entries()) {
      const sequence = result.sequences[0]!;
      expect(sequence.sourceAttributions).toEqual(clean.results[i]!.result.sequences[0]!.sourceAttributions);
      expect((sequence.extras["unitScores"] as (number | null)[]).every((score) => score !== null)).toBe(
        true,
      );
    }
    const stats = endpoint.stats();
    expect(stats.requests).toBe(server.requests.length);
    expect(stats.retries).toBe(server.requests.filter((r) => r.fault !== undefined).length);
    // Every distinct request succeeded exactly once: failures plus one success per prompt and kind.
    // (The capability probe sends one request twice on purpose, to see whether the seed holds.)
    const answered = server.requests.filter(
      (r) => r.fault === undefined && r.path.endsWith("/completions") && r.prompt !== probePrompt,
    );
    const keys = answered.map((r) => JSON.stringify([r.path, r.body]));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("a run stopped half way and restarted with the same cache sends only the missing requests", async () => {
    const dir = join(scratch, "resume");
    const full = await attributeEndpoint(endpointFor({ timeoutMs: 30_000 }), prompt, {
      perturbation: fixedPerturbation(""),
      strategies: ["prob_diff"],
      maxNewTokens: 4,
    });
    const needed = new Set(
      server
        .completionRequests()
        .filter((r) => r.prompt !== probePrompt)
        .map((r) => JSON.stringify(r.body)),
    );
    server.reset();
    // Half way: every request after the 8th hangs, and the run is cancelled.
    server.setFaults((request) => (request.index >= 8 ? { kind: "hang" } : undefined));
    const controller = new AbortController();
    const stopped = attributeEndpoint(endpointFor({ cache: createDiskCache(dir) }), prompt, {
      perturbation: fixedPerturbation(""),
      strategies: ["prob_diff"],
      maxNewTokens: 4,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 200);
    await expect(stopped).rejects.toMatchObject({ code: "ABORTED" });
    const answeredBefore = new Set(
      server.requests
        .filter((r) => r.fault === undefined && r.body && r.prompt !== probePrompt)
        .map((r) => JSON.stringify(r.body)),
    );
    server.setFaults(undefined);
    server.reset();
    // A retry (a dropped connection on a busy machine) sends a body again, as it should: counted.
    const retries: string[] = [];
    const resumed = await attributeEndpoint(
      endpointFor({
        cache: createDiskCache(dir),
        timeoutMs: 30_000,
        onRetry: (event) => retries.push(`${event.reason}: ${event.message}`),
      }),
      prompt,
      {
        perturbation: fixedPerturbation(""),
        strategies: ["prob_diff"],
        maxNewTokens: 4,
      },
    );
    const sentAfter = server.requests
      .filter((r) => r.body && r.prompt !== probePrompt)
      .map((r) => JSON.stringify(r.body));
    expect(resumed.results[0]!.result.sequences[0]!.sourceAttributions).toEqual(
      full.results[0]!.result.sequences[0]!.sourceAttributions,
    );
    for (const body of sentAfter) expect(answeredBefore.has(body)).toBe(false);
    expect(sentAfter.length - new Set(sentAfter).size, retries.join("; ")).toBe(retries.length);
    expect(answeredBefore.size + new Set(sentAfter).size).toBe(needed.size);
  });
});
