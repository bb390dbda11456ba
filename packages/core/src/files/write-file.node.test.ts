import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { checkWritableFile, loadResult, saveResult, writeFileAtomically } from "../node.ts";
import { makeTestResult } from "../serialization/fixtures.test-helpers.ts";
import { rejection, scratchFolders } from "./scratch.test-helpers.ts";

const { scratch } = scratchFolders("tokenscope-write-file-");

const bytes = (text: string) => new TextEncoder().encode(text);
const mode = (path: string) => statSync(path).mode & 0o7777;

/** Creates a character device like /dev/null (1, 3) at `path`; undefined, or why it could not. */
function mknodNull(path: string): string | undefined {
  const made = spawnSync("mknod", [path, "c", "1", "3"], { encoding: "utf8" });
  return made.status === 0 ? undefined : `mknod failed (needs root and CAP_MKNOD): ${made.stderr.trim()}`;
}

describe("writeFileAtomically: what it writes", () => {
  it("creates a new file (and its folders) with the default mode, from bytes or a string", async () => {
    const folder = scratch();
    const reference = join(folder, "reference");
    writeFileSync(reference, "x"); // the mode the umask gives a new file
    const path = join(folder, "a", "b", "new.json");
    await writeFileAtomically(path, bytes('{"a":1}'));
    expect(readFileSync(path, "utf8")).toBe('{"a":1}');
    expect(mode(path)).toBe(mode(reference));
    await writeFileAtomically(path, "text é");
    expect(readFileSync(path, "utf8")).toBe("text é");
    expect(readdirSync(join(folder, "a", "b"))).toEqual(["new.json"]);
  });

  for (const kept of [0o600, 0o755, 0o640]) {
    it(`an existing file with mode ${kept.toString(8)} keeps it`, async () => {
      const path = join(scratch(), "kept.json");
      writeFileSync(path, "old");
      chmodSync(path, kept);
      await writeFileAtomically(path, bytes("new content"));
      expect(readFileSync(path, "utf8")).toBe("new content");
      expect(mode(path)).toBe(kept);
    });
  }

  it("as root, an existing file keeps its owner and group", async (context) => {
    if (process.getuid?.() !== 0) context.skip("needs root to give a file to another user");
    const path = join(scratch(), "owned.json");
    writeFileSync(path, "old");
    chownSync(path, 4321, 4322);
    await writeFileAtomically(path, bytes("new"));
    expect(statSync(path)).toMatchObject({ uid: 4321, gid: 4322 });
    expect(readFileSync(path, "utf8")).toBe("new");
  });

  it("writes through a chain of symbolic links: the links stay links, the file gets the content and keeps its mode", async () => {
    const folder = scratch();
    const realFolder = join(folder, "real");
    mkdirSync(realFolder);
    const file = join(realFolder, "result.json");
    writeFileSync(file, "old");
    chmodSync(file, 0o600);
    const first = join(folder, "first.json");
    const second = join(folder, "second.json");
    symlinkSync("real/result.json", first); // relative, resolved from the link's folder
    symlinkSync(first, second);
    await writeFileAtomically(second, bytes("through the links"));
    expect(lstatSync(second).isSymbolicLink()).toBe(true);
    expect(lstatSync(first).isSymbolicLink()).toBe(true);
    expect(readlinkSync(first)).toBe("real/result.json");
    expect(readFileSync(file, "utf8")).toBe("through the links");
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(folder).sort()).toEqual(["first.json", "real", "second.json"]);
    expect(readdirSync(realFolder)).toEqual(["result.json"]);
  });

  it("saveResult (what `attribute --out` calls) writes through a link to a 600 file and the result loads", async () => {
    const folder = scratch();
    const file = join(folder, "private.json");
    writeFileSync(file, "{}");
    chmodSync(file, 0o600);
    const link = join(folder, "link.json");
    symlinkSync(file, link);
    const result = makeTestResult({ sequences: 1 });
    await saveResult(result, link, { precision: "float64" });
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(mode(file)).toBe(0o600);
    expect(await loadResult(file)).toEqual(result);
  });
});

describe("writeFileAtomically: what it refuses", () => {
  it("a dangling symbolic link, creating nothing", async () => {
    const folder = scratch();
    const link = join(folder, "dangling.json");
    symlinkSync(join(folder, "missing", "target.json"), link);
    const error = await rejection(writeFileAtomically(link, bytes("x")), "IO_ERROR");
    expect(error.message).toContain("which does not exist");
    expect(error.hint).toContain("create the target first");
    expect(readdirSync(folder)).toEqual(["dangling.json"]);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it("a folder, leaving it as it was", async () => {
    const folder = scratch();
    const target = join(folder, "out");
    mkdirSync(target);
    writeFileSync(join(target, "inside"), "kept");
    const error = await rejection(writeFileAtomically(target, bytes("x")), "IO_ERROR");
    expect(error.message).toContain("it is a folder");
    expect(error.hint).toContain("file name inside that folder");
    expect(readdirSync(target)).toEqual(["inside"]);
    expect(readdirSync(folder)).toEqual(["out"]);
  });

  it("a character device (a /dev/null made with mknod; never the real one), which stays a device, directly or through a link", async (context) => {
    const folder = scratch();
    const device = join(folder, "null");
    const failed = mknodNull(device);
    if (failed) context.skip(failed);
    const before = statSync(device).rdev;
    const error = await rejection(writeFileAtomically(device, bytes('{"a":1}')), "IO_ERROR");
    expect(error.message).toContain("a character device");
    expect(error.message).toContain("Nothing was written");
    expect(error.hint).toContain("To discard the output, leave out --out");
    const link = join(folder, "out.json");
    symlinkSync(device, link);
    const viaLink = await rejection(writeFileAtomically(link, bytes("x")), "IO_ERROR");
    expect(viaLink.message).toContain(`a symbolic link to ${device}`);
    await rejection(checkWritableFile(device), "IO_ERROR");
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
    expect(statSync(device).rdev).toBe(before);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readdirSync(folder).sort()).toEqual(["null", "out.json"]);
  });

  it("a named pipe, at once (opening it would wait for a reader)", async () => {
    const folder = scratch();
    const fifo = join(folder, "pipe");
    execFileSync("mkfifo", [fifo]);
    const started = performance.now();
    const error = await rejection(writeFileAtomically(fifo, bytes("x")), "IO_ERROR");
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(error.message).toContain("a named pipe (FIFO)");
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(folder)).toEqual(["pipe"]);
  });

  it("a standard stream by its /proc/self/fd name, suggesting --json", async (context) => {
    if (process.platform !== "linux") context.skip("/proc/self/fd is Linux's");
    const fifo = join(scratch(), "stream");
    execFileSync("mkfifo", [fifo]);
    // Opened read-write, a FIFO does not wait for the other end (Linux): a pipe like stdout's.
    const fd = openSync(fifo, "r+");
    try {
      const error = await rejection(writeFileAtomically(`/proc/self/fd/${fd}`, bytes("x")), "IO_ERROR");
      expect(error.message).toContain("a named pipe (FIFO)");
      expect(error.hint).toContain("--json");
    } finally {
      closeSync(fd);
    }
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it("a socket", async () => {
    const folder = scratch();
    const socket = join(folder, "socket");
    const server: Server = createServer();
    await new Promise<void>((done) => server.listen(socket, done));
    try {
      const error = await rejection(writeFileAtomically(socket, bytes("x")), "IO_ERROR");
      expect(error.message).toContain("a socket");
      expect(lstatSync(socket).isSocket()).toBe(true);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it("a path through a file, saying so instead of EEXIST", async () => {
    const folder = scratch();
    writeFileSync(join(folder, "file"), "x");
    const error = await rejection(writeFileAtomically(join(folder, "file", "out.json"), "x"), "IO_ERROR");
    expect(error.message).toContain("is a file, not a folder");
    expect(readdirSync(folder)).toEqual(["file"]);
  });
});

describe("writeFileAtomically: nothing partial, no temporary file left", () => {
  it("an already aborted signal writes nothing", async () => {
    const folder = scratch();
    const controller = new AbortController();
    controller.abort();
    await rejection(
      writeFileAtomically(join(folder, "out.json"), "x", { signal: controller.signal }),
      "ABORTED",
    );
    expect(readdirSync(folder)).toEqual([]);
  });

  it("an abort in the middle of a big write leaves the old file byte for byte and no temporary file", async () => {
    const folder = scratch();
    const path = join(folder, "weights.bin");
    writeFileSync(path, "the old content");
    chmodSync(path, 0o600);
    const controller = new AbortController();
    const big = new Uint8Array(64 * 1024 * 1024).fill(7);
    const writing = writeFileAtomically(path, big, { signal: controller.signal });
    // Abort once the temporary file exists, that is, half way.
    await new Promise<void>((done) => {
      const poll = setInterval(() => {
        if (readdirSync(folder).some((name) => name.endsWith(".tmp"))) {
          clearInterval(poll);
          controller.abort();
          done();
        }
      }, 1);
    });
    await rejection(writing, "ABORTED");
    expect(readFileSync(path, "utf8")).toBe("the old content");
    expect(mode(path)).toBe(0o600);
    expect(readdirSync(folder)).toEqual(["weights.bin"]);
  });

  it("process.exit while writing (the CLI's second Ctrl-C) removes the temporary file", () => {
    const folder = scratch();
    const path = join(folder, "out.bin");
    writeFileSync(path, "old");
    const module = fileURLToPath(new URL("./write-file.node.ts", import.meta.url));
    const script = `
      import { readdirSync } from "node:fs";
      import { writeFileAtomically } from ${JSON.stringify(module)};
      const folder = ${JSON.stringify(folder)};
      setInterval(() => {
        const temporary = readdirSync(folder).find((name) => name.endsWith(".tmp"));
        if (temporary) { process.stdout.write("exit while " + temporary + " exists"); process.exit(130); }
      }, 1);
      await writeFileAtomically(${JSON.stringify(path)}, new Uint8Array(256 * 1024 * 1024));
      process.stdout.write("finished before the exit");
    `;
    const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "--eval", script], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.stdout, child.stderr).toMatch(
      /^exit while \.out\.bin\.tokenscope-\d+-[0-9a-f]+\.tmp exists$/,
    );
    expect(child.status).toBe(130);
    expect(readdirSync(folder)).toEqual(["out.bin"]);
    expect(readFileSync(path, "utf8")).toBe("old");
  });
});
