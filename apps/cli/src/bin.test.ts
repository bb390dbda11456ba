import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The command as `pnpm tokenscope` runs it: node with the source condition and tsx.
const bin = fileURLToPath(new URL("./bin.ts", import.meta.url));
const stories = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));
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

  it("--device cuda without CUDA says once, on one stderr line, that it runs on the CPU and why", () => {
    const result = tokenscope(
      ["generate", "--model", stories, "Once upon a time", "--max-new-tokens", "2", "--device", "cuda"],
      { NO_COLOR: "1" },
    );
    expect(result.status, result.stderr).toBe(0);
    const lines = result.stderr.split("\n").filter((line) => line.trim().length > 0);
    // ONNX Runtime's own logger would add a coloured "[E:onnxruntime:..." line: none may appear.
    expect(result.stderr).not.toContain("onnxruntime:");
    expect(result.stderr).not.toContain("\u001b[");
    const device = lines.filter((line) => line.startsWith("runs on "));
    expect(device).toHaveLength(1);
    if (!device[0]!.startsWith("runs on cuda")) {
      expect(device[0]).toMatch(
        /^runs on cpu \(onnxruntime-node\): CUDA was requested but cannot be used: .+/,
      );
    }
  });
});
