import { progress } from "@clack/prompts";
import { terminalSafe } from "@tokenscope/core";
import type { ProgressCallback, ProgressEvent } from "tokenscope";
import type { CliIO } from "./io.ts";

/** A progress callback drawing one bar per phase on stderr, and `done` to clear it. */
export interface ProgressReporter {
  onProgress: ProgressCallback;
  /** Removes the bar; nothing of it stays on the screen. */
  done(): void;
}

/** A duration for a progress line: "12 s", "3 min 05 s", "1 h 02 min". */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const whole = Math.ceil(seconds);
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  return `${Math.floor(whole / 3600)} h ${String(Math.floor((whole % 3600) / 60)).padStart(2, "0")} min`;
}

/** A rate for a progress line with about three significant digits: "0.42/s", "12.5/s", "230/s". */
function formatRate(perSecond: number): string {
  if (perSecond >= 100) return `${Math.round(perSecond)}/s`;
  if (perSecond >= 10) return `${perSecond.toFixed(1)}/s`;
  return `${perSecond.toFixed(2)}/s`;
}

/**
 * A phase name or message as one terminal-safe line: progress goes to the stream directly (clack
 * draws it), not through the CLI's gated stderr, and a method's message may hold anything. A line
 * break would also leave clack erasing the wrong lines.
 */
function progressLabel(text: string): string {
  return terminalSafe(text).replace(/\r?\n/g, "↵");
}

/**
 * The text of a progress line: the phase's own message (or `phase completed/total`), then the rate
 * and time left once a unit has completed and a fifth of a second has passed: "generate 12/32 · 9.61/s
 * · ETA 3 s". Control characters in the message show as visible stand-ins.
 */
export function progressMessage(event: ProgressEvent, elapsedMs: number): string {
  const base = progressLabel(event.message ?? `${event.phase} ${event.completed}/${event.total}`);
  // Under a fifth of a second a rate is mostly noise (and a thousandfold wrong on the first event).
  if (event.completed <= 0 || elapsedMs < 200) return base;
  const rate = (event.completed / elapsedMs) * 1000;
  const left = Math.max(0, event.total - event.completed);
  return `${base} · ${formatRate(rate)} · ETA ${formatEta(left / rate)}`;
}

/**
 * Progress bars on stderr (a terminal only: nothing in pipes, CI or tests), one per phase
 * ("generate", "integrated_gradients", ...), restarted when the phase changes. Each bar shows the
 * elapsed time, which ticks between events, so a long model call never looks frozen; `done` clears
 * it and leaves no line behind.
 */
export function createProgressReporter(io: CliIO, signal?: AbortSignal): ProgressReporter {
  const output = io.progressOutput;
  if (!output) return { onProgress: () => {}, done: () => {} };
  let bar: ReturnType<typeof progress> | undefined;
  let phase: string | undefined;
  let shown = 0;
  let phaseStarted = 0;
  // A phase's work starts when the previous event arrived (its first event comes after its first unit).
  let lastEventAt = performance.now();
  const clear = () => {
    bar?.clear();
    bar = undefined;
    phase = undefined;
  };
  return {
    onProgress(event) {
      if (event.phase !== phase || !bar) {
        clear();
        bar = progress({
          output,
          max: Math.max(1, event.total),
          indicator: "timer",
          ...(signal ? { signal } : {}),
        });
        bar.start(progressLabel(event.message ?? event.phase));
        phase = event.phase;
        shown = 0;
        phaseStarted = lastEventAt;
      }
      const now = performance.now();
      bar.advance(event.completed - shown, progressMessage(event, now - phaseStarted));
      shown = event.completed;
      lastEventAt = now;
    },
    done: clear,
  };
}
