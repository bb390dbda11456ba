import { contrastingText, type Rgb } from "../common/color-scale.ts";
import type { Ansis } from "./color.ts";

/** `text` on `background` with a contrasting text colour; unchanged when there is no background. */
export function paint(color: Ansis, background: Rgb | null, text: string): string {
  if (!background || color.level === 0) return text;
  const foreground = contrastingText(background);
  return color.bgRgb(background.r, background.g, background.b).rgb(foreground.r, foreground.g, foreground.b)(
    text,
  );
}
