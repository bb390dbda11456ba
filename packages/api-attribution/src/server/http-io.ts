import type { IncomingMessage, ServerResponse } from "node:http";
import { OpenAiError } from "./openai-error.ts";

/** Largest request body the server reads by default (1 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a request body of at most `maxBytes` and parses it as a JSON object. A body over the
 * limit is a 413 (refused from Content-Length before reading when the client sends one); a body
 * that is not JSON, or JSON that is not an object, is a 400.
 */
export async function readJsonObject(
  request: IncomingMessage,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const tooLarge = () =>
    new OpenAiError(413, `The request body is larger than the server's limit of ${maxBytes} bytes.`, {
      code: "request_too_large",
    });
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OpenAiError(400, "The request body is not valid JSON.", { code: "invalid_json" });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new OpenAiError(400, "The request body must be a JSON object.", { code: "invalid_json" });
  }
  return parsed as Record<string, unknown>;
}

/**
 * Answers with `status` and `body` as JSON. With `close`, the connection is closed after the
 * answer (a body left unread must not be parsed as the next request).
 */
export function sendJson(response: ServerResponse, status: number, body: unknown, close = false): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    ...(close ? { connection: "close" } : {}),
  });
  response.end(text);
}
