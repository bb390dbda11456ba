import { describe, expect, it } from "vitest";
import { gitLfsPointerSize, isGitLfsPointer } from "./lfs-pointer.ts";

const pointer =
  "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 1064896\n";

describe("Git LFS pointers", () => {
  it("recognises a pointer as bytes and as text", () => {
    expect(isGitLfsPointer(pointer)).toBe(true);
    expect(isGitLfsPointer(new TextEncoder().encode(pointer))).toBe(true);
  });

  it("does not mistake real files for pointers", () => {
    expect(isGitLfsPointer('{"model_type": "llama"}')).toBe(false);
    expect(isGitLfsPointer(new Uint8Array(28))).toBe(false);
    expect(isGitLfsPointer(new Uint8Array(0))).toBe(false);
    expect(isGitLfsPointer("version https://git-lfs")).toBe(false);
    // A large file that merely starts like a pointer is not one: pointers are under 1 KiB.
    expect(isGitLfsPointer(pointer + " ".repeat(2000))).toBe(false);
  });

  it("reads the size of the real file, when the pointer has one", () => {
    expect(gitLfsPointerSize(pointer)).toBe(1_064_896);
    expect(gitLfsPointerSize(new TextEncoder().encode(pointer))).toBe(1_064_896);
    expect(gitLfsPointerSize("version https://git-lfs.github.com/spec/v1\n")).toBeUndefined();
  });
});
