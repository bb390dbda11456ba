import { describe, expect, it } from "vitest";
import { formatEta, progressMessage } from "./progress.ts";

describe("progress lines", () => {
  it("adds the rate and the time left once a unit is done", () => {
    expect(progressMessage({ phase: "generate", completed: 0, total: 32 }, 500)).toBe("generate 0/32");
    expect(progressMessage({ phase: "generate", completed: 8, total: 32 }, 2000)).toBe(
      "generate 8/32 · 4.00/s · ETA 6 s",
    );
    expect(progressMessage({ phase: "integrated_gradients", completed: 300, total: 1200 }, 1000)).toBe(
      "integrated_gradients 300/1200 · 300/s · ETA 3 s",
    );
    expect(progressMessage({ phase: "x", completed: 4, total: 4, message: "rows 4/4" }, 250)).toBe(
      "rows 4/4 · 16.0/s · ETA 0 s",
    );
    expect(progressMessage({ phase: "x", completed: 4, total: 8 }, 100)).toBe("x 4/8");
  });

  it("shows a message's control characters as stand-ins and keeps it on one line", () => {
    const message = "rows\u001b]52;c;aGk=\u0007 1/2\r\u001b[2J\n\u009b\u202e";
    expect(progressMessage({ phase: "x", completed: 1, total: 2, message }, 100)).toBe(
      "rows␛]52;c;aGk=␇ 1/2␍␛[2J↵��",
    );
    expect(progressMessage({ phase: "p\u001b[1A", completed: 0, total: 2 }, 0)).toBe("p␛[1A 0/2");
  });

  it("formats times left for people", () => {
    expect(formatEta(0.2)).toBe("1 s");
    expect(formatEta(65)).toBe("1 min 05 s");
    expect(formatEta(7260)).toBe("2 h 01 min");
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe("?");
  });
});
