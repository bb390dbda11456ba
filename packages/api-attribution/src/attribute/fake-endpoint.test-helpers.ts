import type {
  Completion,
  CompletionRequest,
  Endpoint,
  EndpointCapabilities,
  TokenLogprob,
} from "../endpoint/types.ts";

/**
 * An in-memory endpoint whose "model" is a rule: `decide(prompt)` gives the output's words and
 * their log-probabilities; with echo, the prompt's words are scored with `scoreWord(prompt, word, i)`.
 * Counts requests. Tokens are the words with their leading spaces.
 */
export function fakeEndpoint(rule: {
  decide(prompt: string): { token: string; logprob: number; top: { token: string; logprob: number }[] }[];
  scoreWord?(prefix: string, word: string): number;
  capabilities?: Partial<EndpointCapabilities>;
}): Endpoint & { sent: CompletionRequest[] } {
  const sent: CompletionRequest[] = [];
  const capabilities: EndpointCapabilities = {
    logprobs: true,
    topLogprobs: 5,
    seed: true,
    echo: true,
    ...rule.capabilities,
  };
  const words = (text: string) => text.match(/\s*\w+|\s*[^\w\s]/g) ?? [];
  return {
    sent,
    info: { baseUrl: "http://fake.invalid/v1", model: "fake", mode: "completions" },
    capabilities: async () => capabilities,
    async complete(request): Promise<Completion> {
      sent.push(request);
      const generated = request.maxTokens > 0 ? rule.decide(request.prompt).slice(0, request.maxTokens) : [];
      let promptTokens: TokenLogprob[] | null = null;
      if (request.echo) {
        let offset = 0;
        promptTokens = words(request.prompt).map((word, i) => {
          const token: TokenLogprob = {
            token: word,
            logprob: i === 0 ? null : (rule.scoreWord?.(request.prompt.slice(0, offset), word) ?? -1),
            top: [],
            offset,
          };
          offset += word.length;
          return token;
        });
      }
      return {
        text: generated.map((token) => token.token).join(""),
        tokens: capabilities.logprobs ? generated.map((token) => ({ ...token })) : null,
        promptTokens,
        finishReason: "length",
        usage: { promptTokens: words(request.prompt).length, completionTokens: generated.length },
      };
    },
    stats: () => ({ requests: sent.length, cacheHits: 0, retries: 0, promptTokens: 0, completionTokens: 0 }),
  };
}
