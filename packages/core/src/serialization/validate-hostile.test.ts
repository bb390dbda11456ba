import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { makeTestResult } from "./fixtures.test-helpers.ts";
import { serializeResult } from "./serialize.ts";
import { validateResult } from "./validate.ts";

const huge = "k".repeat(10 * 1024 * 1024);

function messageOf(value: unknown): string {
  try {
    validateResult(value, { source: "hostile.json" });
  } catch (error) {
    expect(isTokenscopeError(error), String(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error("expected a failure");
}

const saved = () => JSON.parse(new TextDecoder().decode(serializeResult(makeTestResult())));

describe("validateResult quotes a saved result's keys and values short", () => {
  it("a 10 MB step-score key with a bad value: the message is under 1 KB", () => {
    const value = saved();
    value.sequences[0].stepScores[huge] = "not an array";
    const message = messageOf(value);
    expect(message.length).toBeLessThan(1024);
    expect(message).toContain(`stepScores["${"k".repeat(200)}"… (10,485,560 more characters)]`);
  });

  it("a key with control characters is escaped", () => {
    const value = saved();
    value.sequences[0].stepScores["\u001b[2J\u009b"] = "not an array";
    const message = messageOf(value);
    expect(message).toContain('stepScores["␛[2J�"]');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
    expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it("a 10 MB or deeply nested schemaVersion is quoted short", () => {
    for (const schemaVersion of [huge, [[[[1]]]]]) {
      const value = saved();
      value.schemaVersion = schemaVersion;
      const message = messageOf(value);
      expect(message.length).toBeLessThan(1024);
      expect(message).toMatch(
        /has schemaVersion ("k{200}"… \(10,485,560 more characters\)|an array of 1 item);/,
      );
    }
  });
});
