import { controlPicture } from "./control-characters.ts";

/** Options of {@link terminalSafe}. */
export interface TerminalSafeOptions {
  /**
   * Colour output is on: let well-formed colour and style sequences (the SGR subset ansis emits)
   * through. Default false: every escape sequence is made visible.
   */
  keepColours?: boolean;
}

/** A colour component or 256-colour index: 0 to 255 without leading zeros. */
const byte = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";

/**
 * One SGR parameter of the kind ansis emits: reset, bold, dim, italic, underline and their resets
 * (22–24), the 16 foreground and background colours and their defaults (30–37, 39, 40–47, 49,
 * 90–97, 100–107), 256 colours (38;5;n, 48;5;n) and truecolour (38;2;r;g;b, 48;2;r;g;b). Blink,
 * reverse and conceal are not among them: they hide or disguise what follows.
 */
const sgrParameter = `(?:[0-4]|2[2-4]|[34][0-79]|9[0-7]|10[0-7]|[34]8;5;${byte}|[34]8;2;${byte};${byte};${byte})`;

/** A complete colour sequence: ESC [ parameters m. */
const sgr = `\\u001b\\[${sgrParameter}(?:;${sgrParameter})*m`;

/**
 * What a terminal would act on: C0 controls except line feed and tab, a carriage return that does
 * not end a line (CR LF moves to the next line and cannot overwrite anything; CSV's line break is
 * CR LF), DEL, C1 controls and the bidirectional overrides and isolates.
 */
const control =
  "\\r(?!\\n)|[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u202a-\\u202e\\u2066-\\u2069]";

const plainPattern = new RegExp(control, "g");
/** The colour sequence is tried first at each ESC, so a lone or unknown ESC falls to `control`. */
const colourPattern = new RegExp(`(${sgr})|${control}`, "g");

/**
 * `text` as it may reach a terminal: every control character a terminal acts on (cursor moves,
 * clearing the screen, OSC sequences that set the title or write the clipboard, a bare CR that
 * rewrites the line, bidirectional overrides) replaced by a visible stand-in ("␛", "␍", "␡", "�"),
 * keeping line feeds, tabs and CR LF. With `keepColours`, well-formed colour sequences pass; any
 * other escape sequence still shows as text ("␛[2J"). The one gate for everything the CLI prints,
 * since a model's vocabulary, a saved result or an argument can hold any of these.
 */
export function terminalSafe(text: string, options: TerminalSafeOptions = {}): string {
  if (!options.keepColours) return text.replace(plainPattern, controlPicture);
  return text.replace(colourPattern, (match, colour: string | undefined) => colour ?? controlPicture(match));
}
