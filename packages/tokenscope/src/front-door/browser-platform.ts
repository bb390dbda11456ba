import { TokenscopeError } from "@tokenscope/core";
import { renderResult } from "@tokenscope/viz";
import type { OutputPlatform } from "./attribution-output.ts";

/**
 * Browsers: `show()` logs the plain-text view to the console (no terminal colours); there is no file
 * system, so `save()` says how to get the bytes instead.
 */
export const browserPlatform: OutputPlatform = {
  show(result, options) {
    const text = renderResult(result, { color: 0, ...options });
    console.log(text);
    return text;
  },
  save() {
    return Promise.reject(
      new TokenscopeError("IO_ERROR", "save() writes files, which a browser cannot.", {
        hint: "Call serializeResult(output.result, { gzip: true }) for the bytes and offer them as a download (a Blob URL).",
      }),
    );
  },
};
