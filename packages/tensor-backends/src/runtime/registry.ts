/**
 * Choosing a runtime at run time: candidates are tried by priority (or the caller's preference) and the
 * first that loads wins; when none does, one RUNTIME_UNAVAILABLE error lists every failure, as
 * onnxruntime's js/common does for its backends.
 */
import { TensorBackendError } from "../errors.ts";
import type { TensorRuntime } from "./types.ts";

/** A runtime that may or may not be usable here. */
export interface RuntimeCandidate {
  /** Runtime name, e.g. "onnxruntime-node". */
  name: string;
  /** Higher is tried first. */
  priority: number;
  /** Make the runtime usable or throw why not (a missing package, no WebAssembly, ...). */
  load(): Promise<TensorRuntime>;
}

/** What {@link selectRuntime} may choose from and how. */
export interface RuntimeHints {
  /** The candidates (see `nodeRuntimeCandidates` in `./node` and `webRuntimeCandidates` in `./web`). */
  candidates: readonly RuntimeCandidate[];
  /** Names to try first, in this order; the rest follow by priority. */
  prefer?: readonly string[];
  /** Names never to try. */
  exclude?: readonly string[];
  /** Only these names (when given). */
  only?: readonly string[];
}

/** Candidates in the order {@link selectRuntime} tries them. */
export function orderCandidates(hints: RuntimeHints): RuntimeCandidate[] {
  const prefer = hints.prefer ?? [];
  const rank = (candidate: RuntimeCandidate) => {
    const index = prefer.indexOf(candidate.name);
    return index < 0 ? prefer.length : index;
  };
  return hints.candidates
    .filter((candidate) => !(hints.exclude ?? []).includes(candidate.name))
    .filter((candidate) => hints.only === undefined || hints.only.includes(candidate.name))
    .map((candidate, index) => ({ candidate, index }))
    .sort(
      (a, b) =>
        rank(a.candidate) - rank(b.candidate) ||
        b.candidate.priority - a.candidate.priority ||
        a.index - b.index,
    )
    .map(({ candidate }) => candidate);
}

/**
 * The first candidate that loads.
 * @throws TensorBackendError RUNTIME_UNAVAILABLE listing why each candidate failed.
 */
export async function selectRuntime(hints: RuntimeHints): Promise<TensorRuntime> {
  const ordered = orderCandidates(hints);
  const failures: string[] = [];
  for (const candidate of ordered) {
    try {
      return await candidate.load();
    } catch (error) {
      failures.push(`${candidate.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const tried =
    failures.length === 0
      ? "no candidate matched the hints"
      : failures.map((line) => `  - ${line}`).join("\n");
  throw new TensorBackendError("RUNTIME_UNAVAILABLE", `no tensor runtime could be loaded:\n${tried}`, {
    hint: "Install onnxruntime-node (Node) or onnxruntime-web, or relax the prefer/only/exclude hints.",
    details: { failures },
  });
}
