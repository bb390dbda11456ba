import { type Markup, svgText } from "./svg-text.ts";

export type { Markup };

/** An attribute value: a number is rounded (see {@link formatNumber}); undefined and null leave the attribute out. */
export type AttributeValue = string | number | undefined | null;

/** A coordinate or length rounded to 2 decimals, without "-0" or exponent noise for small values. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`svg: non-finite coordinate ${value}`);
  const rounded = Math.round(value * 100) / 100;
  return String(rounded === 0 ? 0 : rounded);
}

/** Element names the figures use: a fixed list, so no script, link, foreignObject or image can be built. */
const allowedElements = new Set(["svg", "g", "rect", "line", "path", "text", "title", "desc"]);

// Attribute names are ours, never from a result; event handlers and references are refused outright.
const allowedAttribute = /^(?!on)(?!.*href)[a-z][a-z0-9-]*(?::[a-z]+)?$/i;

/**
 * `<name attributes>children</name>` (or `<name attributes/>` without children). Attribute values
 * are escaped with {@link svgText}; children are markup already (build text with {@link text}).
 */
export function element(
  name: string,
  attributes: Readonly<Record<string, AttributeValue>>,
  ...children: readonly Markup[]
): Markup {
  if (!allowedElements.has(name)) throw new Error(`svg: element <${name}> is not allowed`);
  let open = `<${name}`;
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null) continue;
    if (!allowedAttribute.test(key)) throw new Error(`svg: attribute ${key} is not allowed`);
    open += ` ${key}="${typeof value === "number" ? formatNumber(value) : svgText(value)}"`;
  }
  return (children.length === 0 ? `${open}/>` : `${open}>${children.join("")}</${name}>`) as Markup;
}

/** Character data: `content` escaped with {@link svgText}. */
export function text(content: string): Markup {
  return svgText(content);
}

/** Several pieces of markup as one. */
export function join(pieces: readonly Markup[], separator = "\n"): Markup {
  return pieces.join(separator) as Markup;
}

/** An "rgb(r,g,b)" fill for a colour. */
export function rgbString({ r, g, b }: { r: number; g: number; b: number }): string {
  return `rgb(${r},${g},${b})`;
}
