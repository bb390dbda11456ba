import { isTokenscopeError } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { expect } from "vitest";

/** One parsed element: its name, attributes, children and its direct text. */
export interface SvgNode {
  name: string;
  attributes: Record<string, string>;
  children: SvgNode[];
  text: string;
}

type Ordered = Record<string, unknown> & { ":@"?: Record<string, string> };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
});

function toNode(entry: Ordered): SvgNode | null {
  const name = Object.keys(entry).find((key) => key !== ":@");
  if (!name || name === "#text") return null;
  const content = (entry[name] as Ordered[]) ?? [];
  return {
    name,
    attributes: entry[":@"] ?? {},
    children: content.map(toNode).filter((node): node is SvgNode => node !== null),
    text: content.map((child) => (typeof child["#text"] === "string" ? child["#text"] : "")).join(""),
  };
}

/** Checks that `svg` is well-formed XML and returns its root element. */
export function parseSvg(svg: string): SvgNode {
  expect(XMLValidator.validate(svg)).toBe(true);
  const roots = (parser.parse(svg) as Ordered[]).map(toNode).filter((node) => node !== null);
  expect(roots).toHaveLength(1);
  expect(roots[0]!.name).toBe("svg");
  return roots[0]!;
}

/** Every element under `node` (itself included), depth first in document order. */
export function allNodes(node: SvgNode): SvgNode[] {
  return [node, ...node.children.flatMap(allNodes)];
}

/** Elements with the given class. */
export function byClass(root: SvgNode, className: string): SvgNode[] {
  return allNodes(root).filter((node) => (node.attributes.class ?? "").split(" ").includes(className));
}

/** The text of the first `<text>` element under `node` (itself included). */
export function textOf(node: SvgNode): string {
  return allNodes(node).find((child) => child.name === "text")?.text ?? "";
}

/** The `<title>` text directly under `node`, or undefined. */
export function titleOf(node: SvgNode): string | undefined {
  return node.children.find((child) => child.name === "title")?.text;
}

/** The `INVALID_INPUT` error `action` throws (fails the test otherwise). */
export function invalidInput(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    expect(isTokenscopeError(error, "INVALID_INPUT"), String(error)).toBe(true);
    return error as Error;
  }
  throw new Error("expected an INVALID_INPUT error");
}

/** Signed scores, a target prefix, a BOS token, a null cell and two step scores. */
export const signedResult = makeResult([
  makeSequence({
    source: [{ text: "", special: true, span: null, piece: "<s>" }, "Hi", " there"],
    target: [" you", "!", " ok"],
    sourceAttributions: [
      [0.1, 0.5, -0.25],
      [0, 0.125, 1],
      [0.3, null, -0.6],
    ],
    targetAttributions: [
      [null, null, null],
      [-0.75, null, null],
      [0.2, 0.4, null],
    ],
    stepScores: { probability: [0.9, 0.45, 0.5], entropy: [1, 2, 3] },
  }),
  makeSequence({
    source: ["a", " b"],
    target: ["c"],
    sourceAttributions: [[0.2, 0.8]],
    targetAttributions: null,
    stepScores: {},
  }),
]);

/** `count` source and `count` generated tokens with deterministic scores. */
export function sizedResult(count: number) {
  const tokens = (prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
  return makeResult([makeSequence({ source: tokens(" s"), target: tokens(" t") })]);
}

/** Token texts that try to break out of XML, HTML, CSS, URLs and terminals. */
export const hostileTexts = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "</style>",
  "javascript:alert(1)",
  "\u001b]52;c;SGVsbG8=\u0007",
  "\ud800",
  "a & b",
];

/** A result whose tokens, model id and step score id are all hostile. */
export const hostileResult = makeResult(
  [
    makeSequence({
      source: hostileTexts,
      target: [...hostileTexts].reverse(),
      stepScores: { "<b onmouseover=x>": hostileTexts.map(() => 0.5) },
    }),
  ],
  { modelId: '<svg onload="alert(1)">', methodId: "</title><script>x</script>" },
);

/**
 * Where (0, 0) of `target` lies in the document: the sum of the translate() transforms of the groups
 * around it (the figures only translate groups). Null when `target` is not under `root`.
 */
export function origin(root: SvgNode, target: SvgNode, at = { x: 0, y: 0 }): { x: number; y: number } | null {
  const match = /^translate\(([-\d.]+) ([-\d.]+)\)$/.exec(root.attributes.transform ?? "");
  const here = root.name === "g" && match ? { x: at.x + Number(match[1]), y: at.y + Number(match[2]) } : at;
  if (root === target) return here;
  for (const child of root.children) {
    const found = origin(child, target, here);
    if (found) return found;
  }
  return null;
}
