import { escapeMarkup } from "../common/escape-markup.ts";

/**
 * A string that is already SVG markup: produced only by {@link svgText} and the element builder in
 * `markup.ts`, so that text from a result cannot reach a figure without being escaped.
 */
export type Markup = string & { readonly __markup: true };

/**
 * `text` as SVG markup, escaped by the views' one escaping function (`escapeMarkup`, see there):
 * every text and attribute value of a figure goes through it.
 */
export function svgText(text: string): Markup {
  return escapeMarkup(text) as Markup;
}
