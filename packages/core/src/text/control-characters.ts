/**
 * Characters a terminal would act on instead of showing, other than line breaks, tabs and carriage
 * returns (which the callers decide about): C0 controls, DEL, C1 controls (0x9b starts an escape
 * sequence in some terminals) and the bidirectional overrides and isolates, which would reorder the
 * rest of the line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const unsafe = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The visible stand-in of one control character: a C0 control as its Unicode control picture (ESC
 * as "␛", CR as "␍"), DEL as "␡", anything else (C1, bidirectional controls) as "�".
 */
export function controlPicture(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return "␡";
  return "�";
}

/**
 * `text` with every character a terminal would act on replaced by a visible stand-in (see
 * {@link controlPicture}), except line breaks, tabs and carriage returns, which the caller shows its
 * own way (a heatmap label as "↵"). A token's text comes from a model's vocabulary and must never be
 * able to move the cursor or recolour the terminal.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(unsafe, controlPicture);
}
