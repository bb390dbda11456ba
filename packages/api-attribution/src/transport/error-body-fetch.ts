/** The `fetch` signature the openai client takes. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Wraps `fetch` so that every error body reaches the openai client in OpenAI's shape,
 * `{"error": {"message": ...}}`: servers that answer `{"message": ...}` (vLLM),
 * `{"detail": ...}` (FastAPI) or `{"error": "..."}` would otherwise lose their message
 * ("400 status code (no body)"), and with it what the capability probe reads ("logprobs not
 * supported"). Successful responses pass through untouched.
 */
export function withOpenAIErrorBodies(fetchFunction: FetchFunction): FetchFunction {
  return async (input, init) => {
    const response = await fetchFunction(input, init);
    if (response.ok) return response;
    const text = await response.text();
    let body = text;
    try {
      const json: unknown = JSON.parse(text);
      if (isObject(json) && !isObject(json.error)) {
        const message = json.error ?? json.message ?? json.detail;
        if (message !== undefined) {
          body = JSON.stringify({
            error: {
              message: typeof message === "string" ? message : JSON.stringify(message),
              ...(typeof json.type === "string" ? { type: json.type } : {}),
              ...(typeof json.param === "string" ? { param: json.param } : {}),
            },
          });
        }
      }
    } catch {
      // Not JSON: the client uses the text as the message.
    }
    const headers = new Headers(response.headers);
    headers.delete("content-length");
    headers.delete("content-encoding");
    return new Response(body, { status: response.status, statusText: response.statusText, headers });
  };
}
