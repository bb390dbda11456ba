import { EventEmitter } from "node:events";
import { isTokenscopeError } from "tokenscope";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CANCEL_GRACE_MS, type InterruptTarget, installInterruptHandler } from "./interrupt.ts";

function fakeProcess() {
  const emitter = new EventEmitter();
  const exits: number[] = [];
  const target: InterruptTarget = {
    on: (event, listener) => emitter.on(event, listener),
    off: (event, listener) => emitter.off(event, listener),
    exit: ((code: number) => {
      exits.push(code);
    }) as InterruptTarget["exit"],
  };
  return { emitter, exits, target };
}

afterEach(() => vi.useRealTimers());

describe("installInterruptHandler", () => {
  it("aborts the signal with ABORTED on the first Ctrl-C and says so", () => {
    const { emitter, exits, target } = fakeProcess();
    let err = "";
    const { signal, dispose } = installInterruptHandler((text) => (err += text), target);
    expect(signal.aborted).toBe(false);
    emitter.emit("SIGINT");
    expect(signal.aborted).toBe(true);
    expect(isTokenscopeError(signal.reason, "ABORTED")).toBe(true);
    expect(err).toContain("Ctrl-C again");
    expect(exits).toEqual([]);
    dispose();
  });

  it("exits with 130 at once on a second Ctrl-C", () => {
    const { emitter, exits, target } = fakeProcess();
    const { dispose } = installInterruptHandler(() => {}, target);
    emitter.emit("SIGINT");
    emitter.emit("SIGINT");
    expect(exits).toEqual([130]);
    dispose();
  });

  it("exits with 130 when the command has not stopped within the grace period", () => {
    vi.useFakeTimers();
    const { emitter, exits, target } = fakeProcess();
    const { dispose } = installInterruptHandler(() => {}, target);
    emitter.emit("SIGTERM");
    vi.advanceTimersByTime(CANCEL_GRACE_MS - 1);
    expect(exits).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(exits).toEqual([130]);
    dispose();
  });

  it("after dispose, signals are no longer handled and the grace timer is cleared", () => {
    vi.useFakeTimers();
    const { emitter, exits, target } = fakeProcess();
    const { signal, dispose } = installInterruptHandler(() => {}, target);
    emitter.emit("SIGINT");
    dispose();
    vi.advanceTimersByTime(CANCEL_GRACE_MS * 2);
    expect(exits).toEqual([]);
    expect(emitter.listenerCount("SIGINT")).toBe(0);
    expect(signal.aborted).toBe(true);
  });
});
