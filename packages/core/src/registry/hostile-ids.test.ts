import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { createRegistry } from "./create-registry.ts";
import { explain } from "./explain.ts";

const huge = "m".repeat(10 * 1024 * 1024);

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(isTokenscopeError(error), String(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error("expected a failure");
}

describe("registries quote an unknown or refused id short and escaped", () => {
  const registry = createRegistry<{ id: string }>("method", "tokenscope methods list");

  it("a 10 MB unknown id: the message is under 1 KB", () => {
    for (const message of [messageOf(() => registry.get(huge)), messageOf(() => explain(huge))]) {
      expect(message.length).toBeLessThan(1024);
      expect(message).toContain(`"${"m".repeat(200)}"… (10,485,560 more characters)`);
    }
  });

  it("control characters in an id are escaped", () => {
    for (const message of [
      messageOf(() => registry.get("\u001b]52;c;aGk=\u0007\u009b")),
      messageOf(() => registry.register({ id: "bad\u009bid" })),
    ]) {
      expect(message).toContain("�");
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence.
      expect(message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    }
  });
});
