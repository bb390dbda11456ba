import { spawnSync } from "node:child_process";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { memoryIO } from "../io.ts";
import { run } from "../main.ts";

// `--out` of attribute and view, end to end: what is at the path survives as what it was.
const stories = fileURLToPath(new URL("../../../../../shared/models/stories260K", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "tokenscope-out-files-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
function scratch(): string {
  const folder = join(root, `case-${counter++}`);
  mkdirSync(folder);
  return folder;
}

/** One saved result, attributed once, for the `view --out` cases. */
let saved: string;
beforeAll(async () => {
  saved = join(root, "saved.json");
  const io = memoryIO();
  const code = await run(
    ["attribute", "--model", stories, "Once upon a time", "--max-new-tokens", "2", "--out", saved],
    io,
  );
  expect(code, io.err()).toBe(0);
});

describe("--out", () => {
  it("attribute --out through a symbolic link to a 600 file: the link stays, the file keeps 600 and holds the result", async () => {
    const folder = scratch();
    const file = join(folder, "private.json");
    writeFileSync(file, "old");
    chmodSync(file, 0o600);
    const link = join(folder, "result.json");
    symlinkSync(file, link);
    const io = memoryIO();
    const args = ["attribute", "--model", stories, "Once upon a time", "--max-new-tokens", "2"];
    expect(await run([...args, "--out", link], io), io.err()).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync(file).mode & 0o7777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, "utf8")).sequences).toHaveLength(1);
    expect(readdirSync(folder).sort()).toEqual(["private.json", "result.json"]);
  });

  it("view --to csv --out through a link to a 755 file: written through, mode kept", async () => {
    const folder = scratch();
    const file = join(folder, "table.csv");
    writeFileSync(file, "old");
    chmodSync(file, 0o755);
    const link = join(folder, "link.csv");
    symlinkSync("table.csv", link);
    const io = memoryIO();
    expect(await run(["view", saved, "--to", "csv", "--out", link], io), io.err()).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync(file).mode & 0o7777).toBe(0o755);
    expect(readFileSync(file, "utf8")).toContain("Once");
    expect(readdirSync(folder).sort()).toEqual(["link.csv", "table.csv"]);
  });

  it("view --to csv --out a device node: exit 4, the device still a device (as root: mknod)", async (context) => {
    const folder = scratch();
    const device = join(folder, "null");
    const made = spawnSync("mknod", [device, "c", "1", "3"], { encoding: "utf8" });
    if (made.status !== 0) context.skip(`mknod failed (needs root and CAP_MKNOD): ${made.stderr.trim()}`);
    const io = memoryIO();
    expect(await run(["view", saved, "--to", "csv", "--out", device], io)).toBe(4);
    expect(io.err()).toContain("it is a character device");
    expect(io.err()).toContain("leave out --out");
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
    expect(readdirSync(folder)).toEqual(["null"]);
  });

  it("attribute --out a folder: exit 4 saying so, the folder untouched", async () => {
    const folder = scratch();
    const target = join(folder, "results");
    mkdirSync(target);
    const io = memoryIO();
    const args = ["attribute", "--model", stories, "Once upon a time", "--max-new-tokens", "1"];
    expect(await run([...args, "--out", target], io)).toBe(4);
    expect(io.err()).toContain("it is a folder");
    expect(readdirSync(target)).toEqual([]);
    expect(readdirSync(folder)).toEqual(["results"]);
  });
});
