import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { TokenscopeError } from "../errors/index.ts";
import { checkWritableFile, writeFileAtomically } from "../node.ts";
import { rejection, scratchFolders } from "./scratch.test-helpers.ts";

const { scratch } = scratchFolders("tokenscope-file-location-");

/** Refused by both the check and the write, up front, with the same message. */
async function refusedUpFront(path: string): Promise<TokenscopeError> {
  const checked = await rejection(checkWritableFile(path), "IO_ERROR");
  const written = await rejection(writeFileAtomically(path, "x"), "IO_ERROR");
  expect(written.message).toBe(checked.message);
  expect(written.message).not.toContain(".tmp");
  return written;
}

describe("writeFileAtomically: paths that cannot name a file are refused up front", () => {
  it('a path ending in "/" names a folder (it used to fail at the rename, naming the temporary file)', async () => {
    const folder = scratch();
    const path = `${join(folder, "new.json")}/`;
    const error = await refusedUpFront(path);
    expect(error.message).toContain(
      `Could not write ${path}: it ends in "/", so it names a folder, and tokenscope writes a file there. Nothing was written.`,
    );
    expect(error.hint).toContain(`To write the file ${join(folder, "new.json")}, leave out the trailing "/"`);
    expect(error.details).toMatchObject({ path });
    expect(readdirSync(folder)).toEqual([]);
  });

  it('"." and ".." name folders; an empty path names nothing', async () => {
    const folder = scratch();
    for (const path of [`${folder}/.`, `${folder}/..`, "."]) {
      expect((await refusedUpFront(path)).message).toMatch(/it ends in "\.\.?", so it names a folder/);
    }
    expect((await refusedUpFront("")).message).toContain("the path is empty");
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe.runIf(process.platform === "linux")(
  "writeFileAtomically: kernel interfaces are refused up front",
  () => {
    it("/proc/self/status (a file that is no file), /proc and /sys paths that do not exist", async () => {
      for (const path of ["/proc/self/status", "/proc/tokenscope-result.json"]) {
        const error = await refusedUpFront(path);
        expect(error.message).toContain(
          "it is on /proc, the kernel's process interface, not a place for files",
        );
        expect(error.hint).toContain("ordinary folder");
      }
      const sys = await refusedUpFront("/sys/tokenscope-result.json");
      expect(sys.message).toContain("it is on /sys, the kernel's device interface");
    });

    it("/dev, except /dev/shm, an ordinary folder in memory", async () => {
      const error = await refusedUpFront("/dev/tokenscope-result.json");
      expect(error.message).toContain("it is on /dev, the folder of device nodes");
      expect(existsSync("/dev/tokenscope-result.json")).toBe(false);
      if (existsSync("/dev/shm")) {
        const folder = mkdtempSync("/dev/shm/tokenscope-");
        try {
          await writeFileAtomically(join(folder, "result.json"), "in memory");
          expect(readFileSync(join(folder, "result.json"), "utf8")).toBe("in memory");
        } finally {
          rmSync(folder, { recursive: true, force: true });
        }
      }
      // A device node keeps its own message, which says how to discard the output.
      const devNull = await rejection(checkWritableFile("/dev/null"), "IO_ERROR");
      expect(devNull.hint).toContain("To discard the output, leave out --out");
    });

    it("through a link: to /proc/self/status, or a folder link into /proc, naming where it leads", async () => {
      const folder = scratch();
      symlinkSync("/proc/self/status", join(folder, "status.json"));
      symlinkSync("/proc/self", join(folder, "process"));
      const viaFile = await refusedUpFront(join(folder, "status.json"));
      expect(viaFile.message).toMatch(/status\.json \(\/proc\/\d+\/status\): it is on \/proc/);
      const viaFolder = await refusedUpFront(join(folder, "process", "result.json"));
      expect(viaFolder.message).toMatch(/result\.json \(\/proc\/\d+\/result\.json\): it is on \/proc/);
      expect(readdirSync(folder).sort()).toEqual(["process", "status.json"]);
    });
  },
);
