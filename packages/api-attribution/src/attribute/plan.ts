import { type MeasureId, measureFactories } from "../measures/index.ts";
import { slidingChunks } from "../perturbation/hierarchical.ts";
import { splitUnits } from "../units/split-units.ts";
import type { EndpointAttributionOptions } from "./attribute-endpoint.ts";

/** What a run would send, worked out without sending anything (`--dry-run`). */
export interface EndpointAttributionPlan {
  units: number;
  /** Requests of the attribution itself (the capability probe adds 2 or 3 more, once per endpoint). */
  requests: number;
  /** For hierarchical runs: requests of the first stage, and the most the whole search can need. */
  hierarchical?: { firstStage: number; atMost: number };
  /** Prompt and completion tokens, estimated (by the tokenizer when given, else 4 characters a token). */
  tokens: { prompt: number; completion: number };
}

/**
 * How many requests and tokens {@link attributeEndpoint} would use for `prompt` with `options`. One
 * unit at a time this is exact; hierarchically it depends on the answers, so the first stage and an
 * upper bound (every chunk split down to single units) are given.
 */
export async function planEndpointAttribution(
  prompt: string,
  options: Omit<EndpointAttributionOptions, "perturbation" | "signal" | "onProgress" | "log">,
): Promise<EndpointAttributionPlan> {
  const units = await splitUnits(prompt, options.unit ?? "word", {
    ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}),
    ...(options.locale ? { locale: options.locale } : {}),
  });
  const strategies: MeasureId[] = [...new Set<MeasureId>(options.strategies ?? ["prob_diff"])];
  const measures = strategies
    .filter((id) => Object.hasOwn(measureFactories, id))
    .map((id) => measureFactories[id](options));
  const perPerturbation =
    (measures.some((m) => m.needs.generation) ? 1 : 0) + (measures.some((m) => m.needs.echo) ? 1 : 0);
  const base = 1 + (measures.some((m) => m.needs.echo) ? 1 : 0);
  const maxTokens = options.maxNewTokens ?? 16;
  const promptTokens = options.tokenizer
    ? (await options.tokenizer.tokenize(prompt, { addSpecialTokens: false })).tokens.length
    : Math.ceil(prompt.length / 4);
  let perturbations = units.length;
  let hierarchical: EndpointAttributionPlan["hierarchical"];
  if (options.hierarchical) {
    const settings = options.hierarchical === true ? {} : options.hierarchical;
    const window = settings.initialChunkSize ?? Math.max(2, Math.floor(units.length / 2));
    const first = slidingChunks(
      units.length,
      window,
      settings.stride ?? Math.max(1, Math.floor(window / 2)),
    ).length;
    // Splitting every chunk in halves down to single units: at most 2n − 1 chunks below each first one.
    const atMost = first + first * Math.max(0, 2 * Math.min(window, units.length) - 2);
    hierarchical = { firstStage: base + first * perPerturbation, atMost: base + atMost * perPerturbation };
    perturbations = first;
  }
  const requests = base + perturbations * perPerturbation;
  return {
    units: units.length,
    requests,
    ...(hierarchical ? { hierarchical } : {}),
    tokens: { prompt: requests * (promptTokens + maxTokens), completion: requests * maxTokens },
  };
}
