/*
 * One attribution under a memory budget, measured in a process of its own (peak resident memory is
 * per process, and a test runner's own allocations would drown it). `runBudgetCase` spawns this
 * file; run as a script it loads stories260K, warms up with a short attribution by the same method
 * (sessions built, code compiled), resets the peak (Linux: "5" to /proc/self/clear_refs), runs the
 * case on a long prompt, and prints what happened as JSON: the error code and message when
 * refused, the wall time, the model calls made, and the peak growth above the warmed-up process.
 * Used by memory-budget-honoured.test.ts and bench/memory-budget.bench.ts.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { AttributeOptions, LanguageModel } from "@tokenscope/core";

/** One attribution to measure. */
export interface BudgetCase {
  method: string;
  parameters?: Record<string, unknown>;
  /** `memoryBudgetBytes`; undefined runs without a budget. */
  budgetBytes?: number;
  /** Target steps attributed (default all five); occlusion's rows grow with steps × prompt tokens. */
  steps?: { start?: number; end?: number };
  /** Set false to run with onnxruntime's memory pattern off (`enableMemPattern: false`). */
  memoryPattern?: boolean;
}

/** What one {@link BudgetCase} did. */
export interface BudgetOutcome {
  /** Tokens of the prompt (BOS included) and of the forced target. */
  promptTokens: number;
  targetTokens: number;
  /** Error code, message and details when the run threw. */
  error?: { code: string; message: string; details: Record<string, unknown> };
  elapsedMs: number;
  /** Model calls of the measured run by entry point (forward, gradients, embed, generate). */
  modelCalls: Record<string, number>;
  /** Peak resident memory during the measured run minus resident memory just before it, bytes. */
  peakGrowthBytes: number;
}

const stories = fileURLToPath(new URL("../../../../shared/models/stories260K", import.meta.url));
const sentence =
  "Once upon a time there was a little girl named Lily. She loved to play in the park with her " +
  "friends. One day, she saw a big red ball under a tree. ";
/** 482 prompt tokens with BOS, and 5 target tokens: 487 of stories260K's 512 positions. */
const longPrompt = sentence.repeat(10);
const target = " She was very happy.";

/** Runs `budgetCase` in a fresh Node process (tsx, source conditions) and returns what it printed. */
export function runBudgetCase(budgetCase: BudgetCase, timeoutMs = 120_000): BudgetOutcome {
  const child = spawnSync(
    process.execPath,
    [
      "--conditions=@tokenscope/source",
      "--expose-gc",
      "--import",
      "tsx",
      fileURLToPath(import.meta.url),
      JSON.stringify(budgetCase),
    ],
    { encoding: "utf8", timeout: timeoutMs, cwd: fileURLToPath(new URL("..", import.meta.url)) },
  );
  if (child.status !== 0) {
    throw new Error(`budget case ${JSON.stringify(budgetCase)} exited ${child.status}: ${child.stderr}`);
  }
  return JSON.parse(child.stdout.trim().split("\n").at(-1)!) as BudgetOutcome;
}

function statusKiB(field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync("/proc/self/status", "utf8"));
  return Number(match![1]);
}

function counted(model: LanguageModel): { model: LanguageModel; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const wrapped: LanguageModel = { ...model };
  for (const name of ["forward", "gradients", "embed", "generate"] as const) {
    const call = model[name] as ((...args: unknown[]) => unknown) | undefined;
    if (!call) continue;
    calls[name] = 0;
    (wrapped as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
      calls[name]!++;
      return call.apply(model, args);
    };
  }
  return { model: wrapped, calls };
}

async function measure(budgetCase: BudgetCase): Promise<BudgetOutcome> {
  // Imported here, not at the top: a test that only spawns cases does not load the models.
  const { attribute, isTokenscopeError, methodRegistry, registerCoreBuiltins } = await import(
    "@tokenscope/core"
  );
  const { methods: gradientMethods } = await import("@tokenscope/methods-gradient");
  const { loadModel } = await import("@tokenscope/models/node");
  const { methods: perturbationMethods } = await import("./index.ts");
  registerCoreBuiltins();
  for (const method of [...gradientMethods, ...perturbationMethods]) {
    if (!methodRegistry.has(method.id)) methodRegistry.register(method);
  }
  const loaded = await loadModel(
    stories,
    budgetCase.memoryPattern === false ? { sessionOptions: { ortOptions: { enableMemPattern: false } } } : {},
  );
  const { model, calls } = counted(loaded);
  const options: AttributeOptions = {
    method: budgetCase.method,
    parameters: budgetCase.parameters ?? {},
    target,
    ...(budgetCase.steps ? { steps: budgetCase.steps } : {}),
  };
  // Warm-up: the method's sessions are built and its code compiled, on a short prompt.
  await attribute(model, sentence, options);
  const promptTokens = (await model.tokenize(longPrompt, { addSpecialTokens: true })).tokens.length;
  const targetTokens = (await model.tokenize(target, { continuation: true })).tokens.length;
  (globalThis as { gc?: () => void }).gc?.();
  for (const name of Object.keys(calls)) calls[name] = 0;
  writeFileSync("/proc/self/clear_refs", "5");
  const residentBefore = statusKiB("VmRSS");
  const started = performance.now();
  let error: BudgetOutcome["error"];
  try {
    await attribute(model, longPrompt, {
      ...options,
      ...(budgetCase.budgetBytes !== undefined ? { memoryBudgetBytes: budgetCase.budgetBytes } : {}),
    });
  } catch (caught) {
    if (!isTokenscopeError(caught)) throw caught;
    error = { code: caught.code, message: caught.message, details: caught.details };
  }
  const elapsedMs = performance.now() - started;
  const peakGrowthBytes = (statusKiB("VmHWM") - residentBefore) * 1024;
  return {
    promptTokens,
    targetTokens,
    ...(error ? { error } : {}),
    elapsedMs,
    modelCalls: calls,
    peakGrowthBytes,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const outcome = await measure(JSON.parse(process.argv[2]!) as BudgetCase);
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}
