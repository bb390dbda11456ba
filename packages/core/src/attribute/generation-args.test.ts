import { describe, expect, it } from "vitest";
import { isTokenscopeError } from "../errors/index.ts";
import { parseGenerationArgs } from "./generation-args.ts";

function thrown(run: () => unknown): Error & { code?: string } {
  try {
    run();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected a throw");
}

describe("parseGenerationArgs on hostile values", () => {
  it("describes a 50,000-deep array by its type instead of stringifying it (no stack overflow)", () => {
    const deep = JSON.parse(`${"[".repeat(50_000)}${"]".repeat(50_000)}`);
    const error = thrown(() => parseGenerationArgs({ seed: deep }));
    expect(isTokenscopeError(error)).toBe(true);
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain('"seed" must be an integer ≥ 0, got an array');
    expect(error.message.length).toBeLessThan(400);
  });

  it("previews a long string instead of quoting it whole", () => {
    const error = thrown(() => parseGenerationArgs({ temperature: "x".repeat(100_000) }));
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).toContain("the string");
  });

  it.each(["toString", "constructor", "hasOwnProperty", "valueOf", "__proto__"])(
    'refuses "%s" as an unknown name rather than finding Object\'s',
    (key) => {
      const args = JSON.parse(`{"${key}": 432}`) as Record<string, unknown>;
      const error = thrown(() => parseGenerationArgs(args));
      expect(error.code).toBe("INVALID_INPUT");
      expect(error.message).toMatch(new RegExp(`^Unknown generation argument "${key}"\\.`));
    },
  );

  it('names "__proto__" when it holds an object (JSON.parse makes it an own key)', () => {
    const args = JSON.parse('{"__proto__": {"max_new_tokens": 5}}') as Record<string, unknown>;
    expect(thrown(() => parseGenerationArgs(args)).message).toMatch(
      /^Unknown generation argument "__proto__"\./,
    );
  });

  it("still reads the known names", () => {
    expect(parseGenerationArgs({ max_new_tokens: 3, eos_token_id: 7, do_sample: false })).toEqual({
      maxNewTokens: 3,
      stopTokenIds: [7],
      temperature: 0,
    });
  });

  it("reads forced_bos_token_id (Inseq's M2M100 / NLLB generation_args) and refuses a non-id", () => {
    expect(parseGenerationArgs({ forced_bos_token_id: 12 })).toEqual({ forcedBosTokenId: 12 });
    expect(() => parseGenerationArgs({ forced_bos_token_id: -1 })).toThrow(/forced_bos_token_id/);
    expect(() => parseGenerationArgs({ forcedBosTokenId: "fr" })).toThrow(/an integer/);
  });
});
