import { describe, expect, it } from "vitest";
import { assertNotGitLfsPointer, gitLfsPointerError } from "./lfs-pointer.ts";

const pointer =
  "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 1064896\n";

describe("Git LFS pointers", () => {
  it("is recognised with core's detector, bytes and text alike", () => {
    expect(() => assertNotGitLfsPointer(pointer, "config.json")).toThrow("config.json is a Git LFS pointer");
    expect(() => assertNotGitLfsPointer(new TextEncoder().encode(pointer), "a")).toThrow("Git LFS pointer");
    expect(() => assertNotGitLfsPointer('{"model_type": "llama"}', "config.json")).not.toThrow();
  });

  it("names the pointer, what to run and the real file's size", () => {
    const error = gitLfsPointerError("/models/m/model.safetensors", pointer);
    expect(error.code).toBe("MODEL_LOAD_FAILED");
    expect(error.message).toContain(
      "/models/m/model.safetensors is a Git LFS pointer, not the file: run git lfs pull (the real file has 1,064,896 bytes).",
    );
    expect(error.hint).toContain("git lfs install");
    expect(gitLfsPointerError("x", "version https://git-lfs.github.com/spec/v1\n").message).not.toContain(
      "real file",
    );
  });
});
