import { describe, expect, it } from "vitest";
import { isTokenscopeError, TokenscopeError } from "../errors/index.ts";
import { createRegistry } from "./create-registry.ts";

describe("createRegistry", () => {
  it("registers, finds, lists and unregisters", () => {
    const registry = createRegistry<{ id: string; value: number }>("widget", "widgets list");
    registry.register({ id: "a", value: 1 });
    registry.register({ id: "b", value: 2 });
    expect(registry.get("b").value).toBe(2);
    expect(registry.list().map((entry) => entry.id)).toEqual(["a", "b"]);
    expect(registry.unregister("a")).toBe(true);
    expect(registry.has("a")).toBe(false);
  });

  it("refuses a duplicate id unless told to overwrite", () => {
    const registry = createRegistry<{ id: string; value: number }>("widget", "widgets list");
    registry.register({ id: "a", value: 1 });
    expect(() => registry.register({ id: "a", value: 2 })).toThrowError(/already registered/);
    try {
      registry.register({ id: "a", value: 2 });
    } catch (error) {
      expect(isTokenscopeError(error, "DUPLICATE_ID")).toBe(true);
    }
    registry.register({ id: "a", value: 3 }, { overwrite: true });
    expect(registry.get("a").value).toBe(3);
  });

  it("names what is registered when an id is unknown", () => {
    const registry = createRegistry<{ id: string }>("widget", "widgets list");
    registry.register({ id: "saliency" });
    const error = (() => {
      try {
        registry.get("salency");
      } catch (caught) {
        return caught as TokenscopeError;
      }
      throw new Error("expected a throw");
    })();
    expect(error.code).toBe("UNKNOWN_ID");
    expect(error.message).toContain('"salency"');
    expect(error.message).toContain("saliency");
    expect(error.details["known"]).toEqual(["saliency"]);
  });

  it("rejects ids with spaces or empty ids", () => {
    const registry = createRegistry<{ id: string }>("widget", "widgets list");
    expect(() => registry.register({ id: "" })).toThrowError(TokenscopeError);
    expect(() => registry.register({ id: "two words" })).toThrowError(/Cannot register/);
  });
});

describe("createRegistry refuses malformed definitions", () => {
  function refusal(register: () => void): TokenscopeError {
    try {
      register();
    } catch (caught) {
      return caught as TokenscopeError;
    }
    throw new Error("expected the registration to be refused");
  }

  it("refuses an id that is not a string, which a pattern test would have coerced and accepted", () => {
    const registry = createRegistry<{ id: string }>("widget", "widgets list");
    const error = refusal(() => registry.register({ id: 42 as unknown as string }));
    expect(error.code).toBe("INVALID_INPUT");
    expect(error.message).toContain("id must be a string, got number 42");
    expect(registry.list()).toEqual([]);
  });

  it("refuses ids with whitespace, control characters or absurd length, quoting them escaped", () => {
    const registry = createRegistry<{ id: string }>("widget", "widgets list");
    for (const id of ["tab\there", "bell\u0007", "\u001b[2Jclear", "x".repeat(129), " lead"]) {
      const error = refusal(() => registry.register({ id }));
      expect(error.code, JSON.stringify(id)).toBe("INVALID_INPUT");
      // No raw control character may reach a terminal through the message.
      expect(error.message).not.toMatch(/\p{Cc}/u);
    }
  });

  it("refuses a definition that is not an object", () => {
    const registry = createRegistry<{ id: string }>("widget", "widgets list");
    for (const definition of [null, undefined, "saliency", ["id"]]) {
      const error = refusal(() => registry.register(definition as unknown as { id: string }));
      expect(error.message).toContain("the definition must be an object");
    }
  });

  it("lists every problem its validator finds, with the shape in the hint", () => {
    const registry = createRegistry<{ id: string }>("aggregator", "widgets list", {
      validate: (definition) =>
        typeof definition["apply"] === "function" ? [] : ["apply must be a function"],
      shape: "id and apply",
    });
    const error = refusal(() => registry.register({ id: "ok_id" }));
    expect(error.message).toBe(
      'Cannot register the aggregator "ok_id": apply must be a function. An aggregator definition is an object with id and apply.',
    );
    expect(error.details["problems"]).toEqual(["apply must be a function"]);
  });
});
