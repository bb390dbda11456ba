import { InvalidArgumentError } from "@commander-js/extra-typings";
import { describe, expect, it } from "vitest";
import { parseThreads, THREADS_PER_CORE } from "./model-options.ts";

function message(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
}

describe("--threads", () => {
  it(`accepts up to ${THREADS_PER_CORE} threads per core`, () => {
    expect(parseThreads(2)("1")).toBe(1);
    expect(parseThreads(2)(String(2 * THREADS_PER_CORE))).toBe(2 * THREADS_PER_CORE);
  });

  it("refuses more, naming this machine's cores", () => {
    const text = message(() => parseThreads(2)("1000"));
    expect(text).toContain("1,000 threads");
    expect(text).toContain("this machine has 2 cores, so at most 8");
    expect(message(() => parseThreads(1)("5"))).toContain("1 core, so at most 4");
  });

  it("keeps the static limit first, and refuses non-decimal values", () => {
    expect(message(() => parseThreads(1_000)("100000"))).toContain("above tokenscope's limit of 1,024");
    expect(message(() => parseThreads(2)("0x4"))).toContain("expected an integer from 1 to 1,024");
  });
});
