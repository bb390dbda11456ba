/**
 * Requests, tokens and wall time of token-level perturbation against hierarchical perturbation, on a
 * 200-token prompt, against `tokenscope serve`'s server (createOpenAiServer) over stories260K on
 * 127.0.0.1: removal, strategy prob_diff, 8 new tokens, no cache. Both runs side by side in one process.
 *
 *   pnpm --filter @tokenscope/api-attribution bench
 */
import { fileURLToPath } from "node:url";
import { loadModel } from "@tokenscope/models/node";
import {
  attributeEndpoint,
  createEndpoint,
  fixedPerturbation,
  modelTokenizer,
  tokenUnits,
} from "../src/index.ts";
import { createOpenAiServer } from "../src/server.ts";

const stories = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));
const model = await loadModel(stories);
const server = await createOpenAiServer(model, { modelName: "stories260K" });
const tokenizer = modelTokenizer(model);

// A story long enough for 200 tokens of stories260K's small vocabulary.
const sentences = [
  "Once upon a time there was a little girl named Lily.",
  "She loved to play in the park with her big red ball.",
  "One day she saw a small dog under a tree.",
  "The dog was sad because it was lost and hungry.",
  "Lily gave the dog some bread and they became friends.",
];
let prompt = "";
for (let i = 0; (await tokenUnits(prompt, tokenizer)).length < 200; i++) {
  prompt = `${prompt} ${sentences[i % sentences.length]}`.trim();
}
while ((await tokenUnits(prompt, tokenizer)).length > 200) prompt = prompt.slice(0, prompt.lastIndexOf(" "));
const tokens = (await tokenUnits(prompt, tokenizer)).length;

async function measure(hierarchical: boolean) {
  const endpoint = createEndpoint({ baseUrl: server.url, model: "stories260K", mode: "completions" });
  const started = performance.now();
  const run = await attributeEndpoint(endpoint, prompt, {
    unit: "token",
    tokenizer,
    perturbation: fixedPerturbation(""),
    strategies: ["prob_diff"],
    maxNewTokens: 8,
    hierarchical,
  });
  const seconds = (performance.now() - started) / 1000;
  const stats = endpoint.stats();
  const scores = run.results[0]!.result.sequences[0]!.extras["unitScores"] as number[];
  const top = scores.indexOf(Math.max(...scores));
  return { requests: stats.requests, tokens: stats.promptTokens + stats.completionTokens, seconds, top };
}

const flat = await measure(false);
const tree = await measure(true);
console.log(`prompt: ${tokens} tokens of stories260K; removal, prob_diff, 8 new tokens, no cache`);
console.log("mode           requests   tokens   seconds  top unit");
for (const [name, row] of [
  ["token-level", flat],
  ["hierarchical", tree],
] as const) {
  console.log(
    `${name.padEnd(13)} ${String(row.requests).padStart(9)} ${String(row.tokens).padStart(8)} ${row.seconds.toFixed(2).padStart(9)}  ${row.top}`,
  );
}
console.log(
  `hierarchical / token-level: ${(tree.requests / flat.requests).toFixed(2)}x requests, ${(tree.tokens / flat.tokens).toFixed(2)}x tokens, ${(tree.seconds / flat.seconds).toFixed(2)}x time`,
);
await server.close();
await model.dispose?.();
