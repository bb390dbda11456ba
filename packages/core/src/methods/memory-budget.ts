import { TokenscopeError } from "../errors/index.ts";
import { quoteForMessage } from "../text/quote-for-message.ts";

/** Bytes in one mebibyte. */
const MiB = 2 ** 20;

/**
 * The smallest memory budget accepted (1 MiB): no row of any model fits below it, and a budget of
 * `64` is nearly always a number meant in MiB without its unit (the CLI's `--memory-budget` refuses
 * the same).
 */
export const MIN_MEMORY_BUDGET_BYTES = MiB;

/** `bytes` in MiB for messages: a whole number when it is one, else one decimal, rounded up. */
export function formatMiB(bytes: number): string {
  const mebibytes = bytes / MiB;
  if (Number.isInteger(mebibytes)) return `${mebibytes} MiB`;
  return `${Math.ceil(mebibytes * 10) / 10} MiB`;
}

/**
 * Checks `attribute()`'s `memoryBudgetBytes` before anything runs: undefined (no budget), or a
 * whole number of bytes of at least {@link MIN_MEMORY_BUDGET_BYTES}. NaN, 0, a negative or
 * infinite number, a fraction, a string or a tiny number such as 64 throw `INVALID_INPUT` here
 * instead of reaching a method, where NaN compared false with every row size and a string
 * divided into NaN rows.
 */
export function checkMemoryBudgetBytes(value: unknown): asserts value is number | undefined {
  if (value === undefined) return;
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= MIN_MEMORY_BUDGET_BYTES) return;
  // A positive number under 1 MiB is most often a size meant in MiB.
  const tooSmall = typeof value === "number" && value > 0 && value < MIN_MEMORY_BUDGET_BYTES;
  throw new TokenscopeError(
    "INVALID_INPUT",
    `memoryBudgetBytes must be a whole number of bytes of at least 1 MiB (${MIN_MEMORY_BUDGET_BYTES}), got ${quoteForMessage(value, 40)}.`,
    {
      hint: tooSmall
        ? `A budget is in bytes: ${value} MiB is memoryBudgetBytes: ${Math.round(value * MiB)} (--memory-budget ${value}MiB).`
        : "Give e.g. 512 * 2 ** 20 for 512 MiB (--memory-budget 512MiB), or leave it out for the methods' defaults.",
      details: { memoryBudgetBytes: quoteForMessage(value, 40) },
    },
  );
}

/** What {@link checkMemoryBudget} needs to know about the largest row a method will send. */
export interface MemoryBudgetCheck {
  /** The method, for the message (`saliency`); undefined leaves it out. */
  method?: string;
  /** What one row is, for the message: `one gradient row of 485 tokens` (capitalised without `method`). */
  row: string;
  /** Estimated bytes of that row in one model call (the method family's own estimate). */
  rowBytes: number;
  /** The budget (`MethodContext.memoryBudgetBytes`); undefined: no budget, nothing to check. */
  budgetBytes: number | undefined;
}

/** The smallest whole number of MiB that holds `rowBytes`, in bytes: the budget an error suggests. */
export function smallestBudgetBytes(rowBytes: number): number {
  return Math.max(MIN_MEMORY_BUDGET_BYTES, Math.ceil(rowBytes / MiB) * MiB);
}

/**
 * Refuses a run whose largest row does not fit the memory budget, with `INVALID_INPUT` naming the
 * smallest budget that would work (details: `rowBytes`, `smallestBudgetBytes`). Methods call it
 * with their LONGEST row before any model call, so a run either fits from start to end or never
 * starts; nothing is half done. Rows are split by count only: no method splits one row along the
 * sequence (that needs a forward pass over chunks with a KV cache, which the model interface does
 * not offer), so a row that cannot fit stops the run.
 */
export function checkMemoryBudget(check: MemoryBudgetCheck): void {
  const { budgetBytes, rowBytes } = check;
  if (budgetBytes === undefined || rowBytes <= budgetBytes) return;
  const smallest = smallestBudgetBytes(rowBytes);
  throw new TokenscopeError(
    "INVALID_INPUT",
    `${check.method === undefined ? check.row.charAt(0).toUpperCase() + check.row.slice(1) : `Method "${check.method}": ${check.row}`} needs about ${formatMiB(smallest)} (estimated), more than the memory budget of ${formatMiB(budgetBytes)}; nothing was run.`,
    {
      hint: `Raise the budget to at least ${formatMiB(smallest)} (memoryBudgetBytes: ${smallest}, --memory-budget ${smallest / MiB}MiB), or shorten the prompt or the target.`,
      details: {
        ...(check.method === undefined ? {} : { method: check.method }),
        rowBytes: Math.ceil(rowBytes),
        budgetBytes,
        smallestBudgetBytes: smallest,
      },
    },
  );
}

/**
 * Rows of `rowBytes` each per model call: all `rows` without a budget, else as many as the budget
 * holds, up to `rows`. A row that does not fit throws (as {@link checkMemoryBudget}, with a
 * generic description): a method should have checked its longest row first, and must never fall
 * back to one row over the budget, which is how a 64 MiB budget once used 421 MB.
 */
export function rowsPerCall(rowBytes: number, rows: number, budgetBytes: number | undefined): number {
  if (budgetBytes === undefined) return Math.max(1, rows);
  checkMemoryBudget({ row: "one row", rowBytes, budgetBytes });
  return Math.max(1, Math.min(rows, Math.floor(budgetBytes / rowBytes)));
}
