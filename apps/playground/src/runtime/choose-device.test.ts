import { describe, expect, it } from "vitest";
import { planRuntime } from "./choose-device.ts";

const isolated = { crossOriginIsolated: true, hardwareConcurrency: 8, hasWebGpu: true };

describe("planRuntime", () => {
  it("picks WebGPU on auto when the browser has it, with min(4, cores) threads", () => {
    expect(planRuntime("auto", isolated)).toMatchObject({ device: "webgpu", numThreads: 4, notes: [] });
    expect(planRuntime("auto", { ...isolated, hardwareConcurrency: 2, hasWebGpu: false })).toMatchObject({
      device: "wasm",
      numThreads: 2,
    });
  });

  it("uses one thread without cross-origin isolation and says why", () => {
    const plan = planRuntime("wasm", { ...isolated, crossOriginIsolated: false });
    expect(plan).toMatchObject({ device: "wasm", numThreads: 1 });
    expect(plan.notes[0]).toMatch(/cross-origin isolated/);
  });

  it("falls back to wasm when WebGPU is asked for but missing", () => {
    const plan = planRuntime("webgpu", { ...isolated, hasWebGpu: false });
    expect(plan.device).toBe("wasm");
    expect(plan.notes[0]).toMatch(/WebGPU/);
  });
});
