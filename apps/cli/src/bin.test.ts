import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The command as `pnpm tokenscope` runs it: node with the source condition and tsx.
const bin = fileURLToPath(new URL("./bin.ts", import.meta.url));
function tokenscope(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["--conditions=@tokenscope/source", "--import", "tsx", bin, ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "", FORCE_COLOR: "", ...env },
  });
}

describe("the tokenscope executable", () => {
  it("runs, prints its version and exits 0", () => {
    const result = tokenscope(["--version"]);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("colours output when forced and honours NO_COLOR over it", () => {
    const forced = tokenscope(["methods", "list"], { FORCE_COLOR: "1" });
    expect(forced.stdout).toContain("\u001b[");
    const plain = tokenscope(["methods", "list"], { FORCE_COLOR: "1", NO_COLOR: "1" });
    expect(plain.status).toBe(0);
    expect(plain.stdout).not.toContain("\u001b[");
    expect(plain.stdout).toContain("Step functions");
  });

  it("exits with the documented code on bad input", () => {
    const result = tokenscope(["methods", "explain", "nope"]);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("UNKNOWN_ID");
  });
});
