import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { type Limit, limits } from "./limits.ts";

// The root README's Limits table is what users read: it must list every limit, at its value.
const readme = readFileSync(fileURLToPath(new URL("../../../../README.md", import.meta.url)), "utf8");

function shown(limit: Limit): string {
  if (limit.unit !== "bytes") return `${limit.max.toLocaleString("en-US")} ${limit.unit}`;
  const mib = limit.max / (1024 * 1024);
  return mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`;
}

describe("the README's Limits table", () => {
  it("lists every limit with its value and reason, and nothing else", () => {
    const table = readme.slice(readme.indexOf("| limit "));
    const rows = table
      .slice(0, table.indexOf("\n\n"))
      .split("\n")
      .filter((line) => /^\| `\w+` +\|/.test(line))
      .map((line) =>
        line
          .split("|")
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    expect(rows.map(([name]) => name).sort()).toEqual(
      Object.keys(limits)
        .map((name) => `\`${name}\``)
        .sort(),
    );
    for (const [name, limit] of Object.entries(limits)) {
      expect(rows).toContainEqual([`\`${name}\``, shown(limit), limit.reason]);
    }
  });
});
