import {
  type AbortOptions,
  attribute,
  type LanguageModel,
  type ProgressCallback,
  serializeResult,
} from "tokenscope";
import type { AttributeRequest } from "./protocol.ts";

/** A run's outcome: the saved-result JSON (what `tokenscope view` loads), or cancelled. */
export type AttributionOutcome =
  | { kind: "done"; resultJson: ArrayBuffer; elapsedMs: number }
  | { kind: "cancelled" };

/** Whether `error` is the abort of `signal` (tokenscope's ABORTED or the signal's own reason). */
function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  if (!signal?.aborted) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return code === "ABORTED" || error === signal.reason || (error as Error | null)?.name === "AbortError";
}

/**
 * Runs `attribute()` for one request, as `tokenscope attribute` would with the same flags, and
 * serializes the result (float32, the CLI's default precision). An abort through `signal` is an
 * outcome, not an error.
 */
export async function runAttribution(
  model: LanguageModel,
  request: AttributeRequest,
  options: AbortOptions & { onProgress?: ProgressCallback },
): Promise<AttributionOutcome> {
  const started = performance.now();
  try {
    const result = await attribute(model, request.prompt, {
      method: request.method,
      parameters: request.parameters,
      attributedFunction: request.attributedFunction,
      stepScores: request.stepScores,
      attributeTarget: request.attributeTarget,
      ...(request.target !== undefined
        ? { target: request.target }
        : { generation: { maxNewTokens: request.maxNewTokens } }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const bytes = serializeResult(result);
    const resultJson = bytes.buffer.slice(
      bytes.byteOffset,
      bytes.byteOffset + bytes.byteLength,
    ) as ArrayBuffer;
    return { kind: "done", resultJson, elapsedMs: performance.now() - started };
  } catch (error) {
    if (isAbort(error, options.signal)) return { kind: "cancelled" };
    throw error;
  }
}
