import { afterEach, describe, expect, it } from "vitest";
import { createMemoryCache } from "../cache/memory-cache.ts";
import {
  type FaultServer,
  type FaultServerOptions,
  startFaultServer,
} from "../testing/fault-server.test-helpers.ts";
import { probePrompt } from "./capabilities.ts";
import { createEndpoint, type EndpointOptions } from "./create-endpoint.ts";
import type { EndpointMode } from "./types.ts";

const servers: FaultServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function probe(
  mode: EndpointMode,
  serverOptions: FaultServerOptions = {},
  options: EndpointOptions = {},
) {
  const server = await startFaultServer(serverOptions);
  servers.push(server);
  const api = createEndpoint({ baseUrl: server.baseUrl, model: "fake", mode }, options);
  const capabilities = await api.capabilities();
  return { server, api, capabilities };
}

describe("capabilities", () => {
  it("finds everything on a full chat server with two tiny requests", async () => {
    const { server, capabilities } = await probe("chat");
    expect(capabilities).toEqual({ logprobs: true, topLogprobs: 20, seed: true, echo: false });
    const sent = server.completionRequests();
    expect(sent).toHaveLength(2);
    expect(sent[0]?.body).toMatchObject({ max_tokens: 2, top_logprobs: 20, logprobs: true, seed: 0 });
    expect(sent[0]?.prompt).toBe(probePrompt);
  });

  it("finds echo on a full completions server", async () => {
    const { server, capabilities } = await probe("completions");
    expect(capabilities).toEqual({ logprobs: true, topLogprobs: 20, seed: true, echo: true });
    expect(server.completionRequests()[0]?.body).toMatchObject({ echo: true, logprobs: 20 });
  });

  for (const logprobs of ["omit", "reject"] as const) {
    for (const mode of ["chat", "completions"] as const) {
      it(`${mode}: reports no logprobs on a server that ${logprobs === "omit" ? "leaves them out" : "refuses them with 400"}`, async () => {
        const { api, capabilities } = await probe(mode, { logprobs });
        expect(capabilities.logprobs).toBe(false);
        expect(capabilities.topLogprobs).toBe(0);
        expect(capabilities.echo).toBe(false);
        expect(capabilities.seed).toBe(true);
        // Requests after the probe leave the parameter out, so they still work.
        const completion = await api.complete({ prompt: "hello there", maxTokens: 2 });
        expect(completion.tokens).toBeNull();
        expect(completion.text).not.toBe("");
      });
    }
  }

  it("asks for fewer alternatives when the server refuses 20, and keeps to that afterwards", async () => {
    const { server, api, capabilities } = await probe("completions", { maxTopLogprobs: 5 });
    expect(capabilities).toMatchObject({ logprobs: true, topLogprobs: 5, echo: true });
    server.reset();
    const completion = await api.complete({ prompt: "five at most", maxTokens: 1, topLogprobs: 20 });
    expect(server.completionRequests()[0]?.body).toMatchObject({ logprobs: 5 });
    expect(completion.tokens?.[0]?.top).toHaveLength(5);
  });

  it("reports no echo on a server that refuses it, and refuses echo requests afterwards", async () => {
    const { api, capabilities } = await probe("completions", { echo: false });
    expect(capabilities).toMatchObject({ logprobs: true, topLogprobs: 20, echo: false });
    await expect(api.complete({ prompt: "x", maxTokens: 1, echo: true })).rejects.toMatchObject({
      code: "MISSING_CAPABILITY",
    });
  });

  it("reports no seed on a server that refuses it, and stops sending it", async () => {
    const { server, api, capabilities } = await probe("chat", { seed: "reject" });
    expect(capabilities).toMatchObject({ seed: false, logprobs: true, topLogprobs: 20 });
    server.reset();
    await api.complete({ prompt: "no seed", maxTokens: 1 });
    expect(server.completionRequests()[0]?.body?.seed).toBeUndefined();
  });

  it("reports no seed on a server whose answers differ between identical requests", async () => {
    const { capabilities } = await probe("chat", { seed: "ignore" });
    expect(capabilities.seed).toBe(false);
  });

  it("probes once and remembers, also through the cache across endpoints", async () => {
    const cache = createMemoryCache();
    const { server, api } = await probe("chat", {}, { cache });
    await api.capabilities();
    expect(server.completionRequests()).toHaveLength(2);
    const again = createEndpoint({ baseUrl: server.baseUrl, model: "fake" }, { cache });
    expect(await again.capabilities()).toEqual(await api.capabilities());
    expect(server.completionRequests()).toHaveLength(2);
    expect(again.stats()).toMatchObject({ requests: 0, cacheHits: 2 });
  });

  it("fails on errors that are not a refused parameter", async () => {
    const server = await startFaultServer({ apiKey: "right" });
    servers.push(server);
    const api = createEndpoint({
      baseUrl: server.baseUrl,
      model: "fake",
      apiKeyEnv: "TOKENSCOPE_TEST_NO_SUCH_KEY",
    });
    await expect(api.capabilities()).rejects.toMatchObject({ code: "API_ERROR", details: { status: 401 } });
    expect(server.completionRequests()).toHaveLength(1);
  });
});
