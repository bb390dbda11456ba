import { onnxruntimeNodeHasCudaProvider } from "@tokenscope/tensor-backends/node";
import { describe, expect, it } from "vitest";
import { chooseNodeExecution } from "./node-execution.ts";

describe("chooseNodeExecution", () => {
  it("runs on onnxruntime-node's CPU by default, with nothing to report", async () => {
    const { runtime, sessionOptions, execution } = await chooseNodeExecution({ threads: 2 });
    expect(runtime.name).toBe("onnxruntime-node");
    expect(sessionOptions).toEqual({ intraOpThreads: 2 });
    expect(execution).toEqual({ runtime: "onnxruntime-node", device: "cpu", threads: 2, notes: [] });
  });

  it("answers a CUDA request it cannot meet on the CPU, says why in one note, and asks later sessions for the CPU only", async () => {
    const { sessionOptions, execution } = await chooseNodeExecution({ device: "cuda" });
    if (execution.device === "cuda") return; // a machine with the CUDA provider and a GPU
    expect(await onnxruntimeNodeHasCudaProvider()).toBe(false);
    expect(execution).toMatchObject({ runtime: "onnxruntime-node", device: "cpu", requestedDevice: "cuda" });
    expect(execution.notes).toHaveLength(1);
    expect(execution.notes[0]).toMatch(/^CUDA was requested but cannot be used: .*no CUDA provider library/);
    expect(sessionOptions.providers).toEqual(["cpu"]);
  });

  it("falls back to onnxruntime-web (WebAssembly) when onnxruntime-node is not installed, and says how to get it", async () => {
    const missing = () => Promise.reject(new Error("Cannot find package 'onnxruntime-node'"));
    const { runtime, execution } = await chooseNodeExecution({ loadNative: missing });
    expect(runtime.name).toBe("onnxruntime-web");
    expect(execution.device).toBe("wasm");
    expect(execution.requestedDevice).toBeUndefined();
    expect(execution.notes).toEqual([expect.stringContaining("onnxruntime-node is not installed")]);
    expect(execution.notes[0]).toContain("ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0");
    const cuda = await chooseNodeExecution({ loadNative: missing, device: "cuda" });
    expect(cuda.execution).toMatchObject({ device: "wasm", requestedDevice: "cuda" });
    expect(cuda.execution.notes[1]).toBe("CUDA was requested but onnxruntime-web has no CUDA provider");
  });

  it("keeps a runtime the caller chose", async () => {
    const runtime = { name: "mine", createSession: () => Promise.reject(new Error("unused")) };
    const chosen = await chooseNodeExecution({ runtime });
    expect(chosen.runtime).toBe(runtime);
    expect(chosen.execution).toEqual({ runtime: "mine", device: "unknown", notes: [] });
  });
});
