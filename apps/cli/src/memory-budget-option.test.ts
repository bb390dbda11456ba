import { describe, expect, it } from "vitest";
import { parseMemorySize } from "./memory-budget-option.ts";

describe("parseMemorySize", () => {
  it("reads bytes and binary and decimal units", () => {
    expect(parseMemorySize("1048576")).toBe(1024 * 1024);
    expect(parseMemorySize("64MiB")).toBe(64 * 1024 * 1024);
    expect(parseMemorySize("2GiB")).toBe(2 * 1024 ** 3);
    expect(parseMemorySize("1.5GB")).toBe(1.5e9);
    expect(parseMemorySize("512 mib")).toBe(512 * 1024 * 1024);
  });

  it("refuses malformed sizes and budgets under 1 MiB", () => {
    for (const bad of [
      "",
      "abc",
      "64",
      "-1MiB",
      "1e309",
      "0x100000",
      "12 parsecs",
      "0",
      " 5MiB ",
      "5constructor",
      "5toString",
    ]) {
      expect(() => parseMemorySize(bad), bad).toThrow(/expected/);
    }
  });
});
