import type { LanguageModel } from "@tokenscope/core";

/** A JSON answer: status and parsed body. */
export interface JsonAnswer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test answers are read field by field.
  body: any;
}

/** POSTs `body` (an object, or raw text) to `url + path` and parses the JSON answer. */
export async function post(url: string, path: string, body: unknown): Promise<JsonAnswer> {
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

/** GETs `url + path` and parses the JSON answer. */
export async function get(url: string, path: string): Promise<JsonAnswer> {
  const response = await fetch(`${url}${path}`);
  return { status: response.status, body: await response.json() };
}

/**
 * log p(ids[i] | ids[..i]) for every i ≥ 1, computed here from `model.forward` logits over all
 * positions (a log-softmax written independently of the server's), and the full log-softmax rows.
 */
export async function forwardLogprobs(
  model: LanguageModel,
  ids: number[],
): Promise<{ next: number[]; rows: number[][] }> {
  const { logits } = await model.forward!({ inputs: { ids: [ids] } });
  const vocab = logits.dims[2]!;
  const rows: number[][] = [];
  for (let t = 0; t < ids.length; t++) {
    const row = Array.from(logits.data.subarray(t * vocab, (t + 1) * vocab));
    const max = Math.max(...row);
    const log = Math.log(row.reduce((sum, value) => sum + Math.exp(value - max), 0)) + max;
    rows.push(row.map((value) => value - log));
  }
  return { next: ids.slice(1).map((id, t) => rows[t]![id]!), rows };
}

/** Prompt ids as the model tokenizes a prompt for generation (BOS added when it adds one). */
export async function promptIds(model: LanguageModel, text: string): Promise<number[]> {
  return (await model.tokenize(text)).tokens.map((token) => token.id!);
}
