import { describe, expect, it } from "vitest";
import { type BudgetCase, runBudgetCase } from "./budget-run.test-helpers.ts";

const MiB = 2 ** 20;

/**
 * How far the measured peak may exceed the budget: 8 MiB for what is not the model call (the V8
 * heap's garbage between collections, the results being built) plus 10% of the budget for the
 * estimate's error. Measured at the smallest budget (bench/results/2026-12-02-memory-budget.txt):
 * saliency 114 MiB → 78–82 MiB, integrated gradients 114 → 71–78, occlusion 39 → 21–29.
 */
function tolerance(budgetBytes: number): number {
  return 8 * MiB + 0.1 * budgetBytes;
}

const cases: BudgetCase[] = [
  { method: "saliency" },
  { method: "integrated_gradients", parameters: { n_steps: 2 } },
  // Sentences, not tokens, and the last two steps: the same 486-token rows, 32 per step, not 483.
  { method: "occlusion", parameters: { unit: "sentence" }, steps: { start: 3 } },
];

// Peak memory is read from /proc (VmHWM, reset through clear_refs): Linux only.
describe.skipIf(process.platform !== "linux")(
  "the memory budget is honoured: stories260K, a 482-token prompt and 5 target tokens, a process per run",
  () => {
    for (const budgetCase of cases) {
      it(`${budgetCase.method}: 16 MiB is refused before it runs, naming the smallest budget, which holds`, () => {
        // The defect: batches never went below one row, so a 64 MiB budget used 421 MB, silently.
        const refused = runBudgetCase({ ...budgetCase, budgetBytes: 16 * MiB });
        expect(refused.promptTokens + refused.targetTokens).toBe(487);
        expect(refused.error?.code).toBe("INVALID_INPUT");
        expect(refused.error?.message).toMatch(
          new RegExp(
            `^Method "${budgetCase.method}": one (gradient|forward) row of 48[67] tokens needs about \\d+ MiB`,
          ),
        );
        expect(refused.error?.message).toContain("more than the memory budget of 16 MiB; nothing was run");
        expect(refused.modelCalls["forward"]).toBe(0);
        expect(refused.modelCalls["gradients"]).toBe(0);
        // The gradient methods look up the input (and baseline) embeddings before their gradient rows.
        expect(refused.modelCalls["embed"] ?? 0).toBeLessThanOrEqual(2);
        expect(refused.elapsedMs).toBeLessThan(1000);

        const smallest = refused.error!.details["smallestBudgetBytes"] as number;
        expect(refused.error!.message).toContain(`--memory-budget ${smallest / MiB}MiB`);
        const run = runBudgetCase({ ...budgetCase, budgetBytes: smallest });
        expect(run.error).toBeUndefined();
        expect(run.modelCalls["forward"]! + run.modelCalls["gradients"]!).toBeGreaterThan(1);
        expect(run.peakGrowthBytes).toBeLessThanOrEqual(smallest + tolerance(smallest));
      });
    }
  },
);
