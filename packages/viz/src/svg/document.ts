import type { AttributionResult } from "@tokenscope/core";
import { displayInline } from "../common/display-token.ts";
import { colors, fontFamily, textWidth } from "./layout.ts";
import type { Block } from "./legend.ts";
import { element, formatNumber, join, type Markup, text } from "./markup.ts";

/** The blank border around a figure, in em. */
const marginEm = 0.75;

/** A `<g>` that draws `markup` moved by (x, y). */
export function translate(markup: Markup, x: number, y: number): Markup {
  if (x === 0 && y === 0) return markup;
  return element("g", { transform: `translate(${formatNumber(x)} ${formatNumber(y)})` }, markup);
}

/** Blocks placed one under the other with `gap` px between them, left-aligned. */
export function stack(blocks: readonly Block[], gap: number): Block {
  let y = 0;
  let width = 0;
  const pieces: Markup[] = [];
  blocks.forEach((block, i) => {
    if (i > 0) y += gap;
    pieces.push(translate(block.markup, 0, y));
    y += block.height;
    width = Math.max(width, block.width);
  });
  return { markup: join(pieces), width, height: y };
}

/**
 * The line naming what made a result, "model … · method … · function …", each id made one-line
 * and visible (see `displayInline`); escaping happens where it is drawn.
 */
export function runTitle(result: AttributionResult): string {
  const { model, method, attributedFunction } = result.info;
  const parts = [`model ${displayInline(model.id)}`, `method ${displayInline(method.id)}`];
  if (attributedFunction) parts.push(`function ${displayInline(attributedFunction.id)}`);
  return parts.join(" · ");
}

/** A bold one-line heading at the origin. */
export function heading(content: string, fontSize: number): Block {
  return {
    markup: element("text", { x: 0, y: fontSize, "font-weight": "bold", fill: colors.text }, text(content)),
    width: textWidth(content, fontSize),
    height: fontSize * 1.3,
  };
}

/**
 * A complete SVG document around `body` (drawn at the origin, `body.width` x `body.height` px):
 * the `<svg>` root with its namespace, a whole-pixel width, height and viewBox that leave a margin,
 * the monospace font, whitespace kept inside texts, a `<title>` for assistive technology and a white
 * background. Nothing in it refers to anything outside the document.
 */
export function svgDocument(body: Block, title: string, fontSize: number): string {
  const margin = fontSize * marginEm;
  const width = Math.ceil(body.width + 2 * margin);
  const height = Math.ceil(body.height + 2 * margin);
  const root = element(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "font-family": fontFamily,
      "font-size": fontSize,
      "xml:space": "preserve",
    },
    join([
      element("title", {}, text(title)),
      element("rect", { x: 0, y: 0, width, height, fill: colors.background }),
      translate(body.markup, margin, margin),
    ]),
  );
  return `${root}\n`;
}
