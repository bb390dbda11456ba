import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { describe, expect, it } from "vitest";
import type { SvgOptions } from "./options.ts";
import { svgKinds } from "./options.ts";
import { allNodes, invalidInput, parseSvg, signedResult } from "./svg.test-helpers.ts";
import { toSvg } from "./to-svg.ts";

describe("toSvg options", () => {
  it("refuses every bad option with INVALID_INPUT", () => {
    const bad: [SvgOptions, RegExp][] = [
      [{ kind: "pie" as never }, /kind must be "heatmap", "text", "distribution", "bar"/],
      [{ digits: -1 }, /digits/],
      [{ digits: 1.5 }, /digits/],
      [{ maxTokenWidth: 0 }, /maxTokenWidth/],
      [{ fontSize: 0 }, /fontSize must be a number from 4 to 96/],
      [{ fontSize: Number.NaN }, /fontSize/],
      [{ width: 10, kind: "text" }, /width must be a number from 100/],
      [{ step: -1 }, /step must be a non-negative integer/],
      [{ step: 0.5, kind: "bar" }, /step/],
      [{ scale: "rainbow" as never }, /scale/],
      [{ sequence: 9 }, /sequence 9 does not exist/],
      [{ stepScores: ["nope"] }, /no step scores "nope"/],
      [{ stepScores: "probability" as never }, /stepScores must be an array/],
      [{ showTargetPrefix: "yes" as never }, /showTargetPrefix must be true or false/],
    ];
    for (const [options, message] of bad) {
      expect(invalidInput(() => toSvg(signedResult, options)).message).toMatch(message);
    }
  });

  it("draws every kind for a result without sequences or without generated tokens", () => {
    const empty = makeResult([]);
    const noTargets = makeResult([makeSequence({ source: ["a"], target: [], stepScores: {} })]);
    for (const kind of svgKinds) {
      const texts = (svg: string) => allNodes(parseSvg(svg)).map((node) => node.text);
      expect(texts(toSvg(empty, { kind }))).toContain("(the result has no sequences)");
      expect(texts(toSvg(noTargets, { kind }))).toContain("(no generated tokens)");
    }
    expect(invalidInput(() => toSvg(noTargets, { kind: "bar", step: 0 })).message).toContain(
      "has 0 generated tokens",
    );
  });

  it("scales with the font size and leaves the function out of the title when there is none", () => {
    const width = (fontSize: number) => Number(parseSvg(toSvg(signedResult, { fontSize })).attributes.width);
    expect(width(24)).toBeGreaterThan(1.8 * width(12));
    const result = { ...signedResult, info: { ...signedResult.info, attributedFunction: null } };
    const title = allNodes(parseSvg(toSvg(result))).find((node) => node.name === "text")!.text;
    expect(title).toBe("model test/tiny-llama · method saliency");
  });
});

describe("the SVG figures stay browser-safe", () => {
  it("import no node: module and no native renderer", () => {
    const folders = ["../svg", "../common"].map((folder) => join(import.meta.dirname, folder));
    for (const folder of folders) {
      for (const file of readdirSync(folder).filter(
        (name) => name.endsWith(".ts") && !/\.test(-helpers)?\.ts$/.test(name),
      )) {
        const source = readFileSync(join(folder, file), "utf8");
        expect(source, file).not.toMatch(/from "node:|resvg|from "(fs|path|module)"/);
      }
    }
  });
});
