import { InvalidArgumentError } from "@commander-js/extra-typings";
import { describe, expect, it } from "vitest";
import {
  finiteNumber,
  integer,
  limitedInteger,
  nameValue,
  positiveNumber,
  signedInteger,
} from "./parsers.ts";

function refused(parse: (value: string) => unknown, value: string): boolean {
  try {
    parse(value);
    return false;
  } catch (error) {
    if (error instanceof InvalidArgumentError) return true;
    throw error;
  }
}

/** Values `Number()` reads as numbers but no decimal notation writes: every parser refuses them. */
const NOT_DECIMAL = ["", " ", "0x10", "0X10", "0b11", "0o7", " 5 ", "5 ", " 5", "\t5", "5\n", "1_000", "+5"];
const NOT_FINITE = ["Infinity", "-Infinity", "NaN", "1e400"];

describe("numeric option parsers: decimal notation only, the same for all", () => {
  const parsers = {
    "integer(0)": integer(0),
    'limitedInteger(1, "threads")': limitedInteger(1, "threads"),
    signedInteger,
    finiteNumber,
    positiveNumber,
  };
  for (const [name, parse] of Object.entries(parsers)) {
    it(`${name} refuses hex, binary, octal, padded, empty and separated values`, () => {
      for (const value of [...NOT_DECIMAL, ...NOT_FINITE]) {
        expect(refused(parse, value), JSON.stringify(value)).toBe(true);
      }
    });
  }

  it("integers: digits with an optional non-negative exponent, a - sign where negatives are allowed", () => {
    expect(integer(0)("0")).toBe(0);
    expect(integer(0)("0016")).toBe(16);
    expect(integer(1)("1e3")).toBe(1000);
    expect(integer(1)("1E3")).toBe(1000);
    expect(signedInteger("-3")).toBe(-3);
    expect(Object.is(signedInteger("-0"), 0)).toBe(true);
    for (const value of ["1.5", "1.0", "1e-3", "1.5e3", "-1", "2e20", "1.", ".5"]) {
      expect(refused(integer(0), value), value).toBe(true);
    }
    expect(refused(integer(0, 10), "11")).toBe(true);
  });

  it("an integer beyond a limit is refused with the limit's bound and reason", () => {
    expect(() => limitedInteger(1, "threads")("1e9")).toThrow(/1,024/);
  });

  it("numbers: an optional fraction and exponent", () => {
    expect(finiteNumber("0.7")).toBe(0.7);
    expect(finiteNumber("-0.5")).toBe(-0.5);
    expect(finiteNumber(".5")).toBe(0.5);
    expect(finiteNumber("5.")).toBe(5);
    expect(positiveNumber("1e-3")).toBe(0.001);
    expect(positiveNumber("2.5E+2")).toBe(250);
    for (const value of ["0", "-1", "-0", "1e-400"]) expect(refused(positiveNumber, value), value).toBe(true);
    for (const value of ["1e", "e3", ".", "-", "1.2.3", "5e3.1"]) {
      expect(refused(finiteNumber, value), value).toBe(true);
    }
  });
});

describe("nameValue", () => {
  it("keeps user names as own keys and refuses a name given twice", () => {
    const once = nameValue("__proto__=1");
    expect(Object.hasOwn(once, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(once)).toBe(Object.prototype);
    expect(nameValue("constructor=2", once)).toEqual(JSON.parse('{"__proto__": 1, "constructor": 2}'));
    expect(refused((value) => nameValue(value, nameValue("n_steps=4")), "n_steps=5")).toBe(true);
  });
});
