import type { LanguageModel } from "@tokenscope/core";
import { type RecordedCall, recording } from "./recording-model.ts";
import { log } from "./table.ts";

/** One way of computing one attribution, timed: wall time per run, the calls of the last run and its output. */
export interface Timed<T> {
  ms: number[];
  calls: RecordedCall[];
  value: T;
}

/** Our run and the per-step loop of the same attribution, timed side by side. */
export interface TimedPair<A, B> {
  ours: Timed<A>;
  loop: Timed<B>;
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

async function timedRun<T>(model: LanguageModel, run: (model: LanguageModel) => Promise<T>) {
  const recorder = recording(model);
  const started = performance.now();
  const value = await run(recorder.model);
  return { ms: performance.now() - started, value, calls: recorder.calls };
}

/**
 * Runs `ours` then `loop`, `runs` times, so that drift in the machine's load hits both alike; stops
 * early (after at least one round) when another round would end after `deadlineMs`
 * (performance.now() time).
 */
export async function alternate<A, B>(
  name: string,
  model: LanguageModel,
  ours: (model: LanguageModel) => Promise<A>,
  loop: (model: LanguageModel) => Promise<B>,
  runs: number,
  deadlineMs: number,
): Promise<TimedPair<A, B>> {
  let pair: TimedPair<A, B> | undefined;
  for (let run = 0; run < runs; run++) {
    const round = performance.now();
    const a = await timedRun(model, ours);
    const b = await timedRun(model, loop);
    pair = {
      ours: { ms: [...(pair?.ours.ms ?? []), a.ms], calls: a.calls, value: a.value },
      loop: { ms: [...(pair?.loop.ms ?? []), b.ms], calls: b.calls, value: b.value },
    };
    const roundMs = performance.now() - round;
    log(`${name} run ${run + 1}/${runs}: ours ${seconds(a.ms)} s, per-step loop ${seconds(b.ms)} s`);
    if (run + 1 < runs && performance.now() + roundMs > deadlineMs) {
      log(`${name}: stopping after ${run + 1} of ${runs} runs (a round takes ${seconds(roundMs)} s)`);
      break;
    }
  }
  if (!pair) throw new Error(`${name}: no run`);
  return pair;
}
