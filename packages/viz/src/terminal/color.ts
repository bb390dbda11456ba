import { TokenscopeError } from "@tokenscope/core";
import ansis, { Ansis as AnsisFactory } from "ansis";

/** An ansis instance: colours at one level (0 none, 1 16 colours, 2 256 colours, 3 truecolour). */
export type Ansis = typeof ansis;

/**
 * How a view is coloured: an ansis instance (e.g. a CLI's, which already
 * honours NO_COLOR and FORCE_COLOR), or a colour level: 0 plain text,
 * 1 16 colours, 2 256 colours, 3 truecolour. Truecolour backgrounds fall back
 * to the nearest colour of lower levels.
 */
export type ColorOption = Ansis | 0 | 1 | 2 | 3;

/**
 * The ansis instance a view paints with. Without an option, ansis's own
 * detection (TTY, NO_COLOR, FORCE_COLOR, --no-color) decides; pass a level or
 * an instance for output that does not depend on the environment.
 */
export function resolveColor(color: ColorOption | undefined, caller: string): Ansis {
  if (color === undefined) return ansis;
  if (typeof color === "object" && color !== null && typeof (color as Ansis).bgRgb === "function")
    return color;
  if (color === 0 || color === 1 || color === 2 || color === 3) return new AnsisFactory(color);
  throw new TokenscopeError(
    "INVALID_INPUT",
    `${caller}: color must be an ansis instance or a level 0 to 3, not ${String(color)}.`,
    {
      hint: "Pass { color: 0 } for plain text, { color: 3 } for truecolour, or your own ansis instance.",
      details: { color: String(color) },
    },
  );
}
