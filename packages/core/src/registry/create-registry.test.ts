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
