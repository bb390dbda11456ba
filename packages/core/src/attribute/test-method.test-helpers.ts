import { z } from "zod";
import type { AttributionMethod, MethodContext, MethodSequenceOutput } from "../methods/types.ts";

/** Parameters of the test method. */
export interface EchoParameters {
  dims: number;
}

/** The raw value the echo method writes for source cell (t, s) and dimension d. */
export function echoSource(t: number, s: number, d: number): number {
  return (d === 0 ? 1 : -2) * (t + 1 + 0.5 * s);
}

/** The raw value the echo method writes for target-prefix cell (t, u < t) and dimension d. */
export function echoTarget(t: number, u: number, d: number): number {
  return (d === 0 ? 1 : -1) * 0.25 * (t + u + 1);
}

/** The value the echo method reports as the attributed function's step score. */
export function echoScore(t: number): number {
  return 1000 + t;
}

/**
 * A deterministic method for orchestration tests: writes {@link echoSource} /
 * {@link echoTarget} for the attributed steps (NaN elsewhere) and remembers
 * the context it was run with.
 */
export function createEchoMethod(): {
  method: AttributionMethod<EchoParameters>;
  contexts: MethodContext<EchoParameters>[];
} {
  const contexts: MethodContext<EchoParameters>[] = [];
  const method: AttributionMethod<EchoParameters> = {
    id: "test_echo",
    family: "test",
    summary: "test",
    description: "test",
    requires: ["tokenize"],
    supports: { targetPrefix: true, contrastive: false, batching: true },
    parameters: z.strictObject({ dims: z.int().min(1).default(1) }),
    async run(context) {
      contexts.push(context);
      const dims = context.parameters.dims;
      return context.sequences.map((sequence): MethodSequenceOutput => {
        const steps = sequence.target.length;
        const sources = sequence.source.length;
        const source = new Float64Array(steps * sources * dims).fill(Number.NaN);
        const target = new Float64Array(steps * steps * dims).fill(Number.NaN);
        const scores = new Array<number>(steps).fill(Number.NaN);
        for (const t of sequence.steps) {
          scores[t] = echoScore(t);
          for (let s = 0; s < sources; s++)
            for (let d = 0; d < dims; d++) source[(t * sources + s) * dims + d] = echoSource(t, s, d);
          for (let u = 0; u < t; u++)
            for (let d = 0; d < dims; d++) target[(t * steps + u) * dims + d] = echoTarget(t, u, d);
        }
        return {
          source: { dims: [steps, sources, dims], data: source },
          ...(context.attributeTarget ? { target: { dims: [steps, steps, dims], data: target } } : {}),
          stepScores: { [context.attributedFunction.id]: scores, echo_extra: scores.map((v) => v + 1) },
          extras: { note: "echo" },
        };
      });
    },
  };
  return { method, contexts };
}
