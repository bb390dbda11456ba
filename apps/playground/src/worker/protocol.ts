import type { ProgressEvent } from "tokenscope";
import type { ModelSourceSpec } from "../model/source-spec.ts";
import type { DeviceChoice } from "../runtime/choose-device.ts";

/** A registered method as the page shows it: its form comes from `parametersSchema`. */
export interface MethodDescriptor {
  id: string;
  family: string;
  summary: string;
  requires: string[];
  supportsTargetPrefix: boolean;
  /** JSON Schema of the parameters (zod's `z.toJSONSchema`), when the schema library gives one. */
  parametersSchema?: Record<string, unknown>;
}

/** A registered step function (attributed function or step score). */
export interface StepFunctionDescriptor {
  id: string;
  summary: string;
  differentiable: boolean;
}

/** What the page asks `attribute()` to do (plain data). */
export interface AttributeRequest {
  prompt: string;
  method: string;
  parameters: Record<string, unknown>;
  attributedFunction: string;
  stepScores: string[];
  maxNewTokens: number;
  /** A forced target text; generation when absent. */
  target?: string;
  attributeTarget: boolean;
}

/** How the last run ran, shown after it. */
export interface RunInfo {
  runtime: string;
  device: string;
  threads?: number;
  crossOriginIsolated: boolean;
  notes: string[];
  elapsedMs: number;
}

/** Messages from the page to the worker. */
export type PageMessage =
  | { type: "init"; plugins: string[] }
  | { type: "load"; requestId: number; source: ModelSourceSpec; device: DeviceChoice }
  | { type: "attribute"; requestId: number; request: AttributeRequest }
  | { type: "cancel"; requestId: number };

/** Messages from the worker to the page. */
export type WorkerMessage =
  | {
      type: "ready";
      methods: MethodDescriptor[];
      stepFunctions: StepFunctionDescriptor[];
      pluginErrors: string[];
    }
  | {
      type: "download";
      requestId: number;
      file: string;
      loaded: number;
      total: number;
      state: "start" | "data" | "done";
      /** With "done": fetched now (false: the browser's cache or a local file had it). */
      downloaded?: boolean;
    }
  | { type: "loaded"; requestId: number; modelId: string; capabilities: string[]; execution: RunInfo }
  | { type: "progress"; requestId: number; event: ProgressEvent }
  | { type: "result"; requestId: number; resultJson: ArrayBuffer; runInfo: RunInfo }
  | { type: "cancelled"; requestId: number }
  | { type: "error"; requestId?: number; code: string; message: string; hint?: string };
