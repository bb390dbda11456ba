import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTokenscopeError, toMarkdown } from "@tokenscope/core";
import { makeResult, makeSequence } from "@tokenscope/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toHtml } from "../html/to-html.ts";
import { toSvg } from "../svg/to-svg.ts";
import { toPng } from "./png.ts";
import { viewFormatOfPath, writeView } from "./view-file.ts";

const result = makeResult([makeSequence({ source: ["a", " b"], target: [" c", " d"] })]);

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return isTokenscopeError(error) ? error.code : "other";
  }
  return "none";
}

describe("writeView", () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "tokenscope-view-"));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it("writes the format the extension names, byte for byte what the renderers give", async () => {
    const cases = [
      ["page.html", toHtml(result)],
      ["page.HTM", toHtml(result)],
      ["figure.svg", toSvg(result, { kind: "bar", step: 1 })],
      ["tables.md", `${toMarkdown(result, { digits: 2 })}\n`],
    ] as const;
    for (const [name, expected] of cases) {
      const path = join(folder, name);
      await writeView(
        result,
        path,
        name.endsWith(".svg") ? { kind: "bar", step: 1 } : name.endsWith(".md") ? { digits: 2 } : {},
      );
      expect(await readFile(path, "utf8")).toBe(expected);
    }
    const png = join(folder, "figure.png");
    expect(await writeView(result, png, { kind: "distribution", zoom: 1 })).toBe("png");
    expect(
      Buffer.from(await readFile(png)).equals(Buffer.from(toPng(result, { kind: "distribution", zoom: 1 }))),
    ).toBe(true);
  });

  it("refuses an unknown extension and a figure kind HTML cannot draw, leaving the file as it was", async () => {
    expect(codeOf(() => viewFormatOfPath("out.pdf"))).toBe("INVALID_INPUT");
    expect(codeOf(() => viewFormatOfPath("out"))).toBe("INVALID_INPUT");
    expect(viewFormatOfPath("/a.b/out.Markdown")).toBe("md");
    const path = join(folder, "kept.html");
    await writeFile(path, "old");
    const error = await writeView(result, path, { kind: "bar" }).catch((e: unknown) => e);
    expect(isTokenscopeError(error) && error.code).toBe("INVALID_INPUT");
    const badOption = await writeView(result, path, { digits: 99 }).catch((e: unknown) => e);
    expect(isTokenscopeError(badOption) && badOption.code).toBe("INVALID_INPUT");
    expect(await readFile(path, "utf8")).toBe("old");
  });
});
