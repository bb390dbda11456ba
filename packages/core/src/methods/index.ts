export {
  type CallPacer,
  createCallPacer,
  RESPONSIVE_CALL_FLOPS,
  RESPONSIVE_CALL_MS,
  responsiveRowsPerCall,
  rowFlops,
} from "./call-work.ts";
export { resolveSelection, type Selection, selectionSchema } from "./layer-selection.ts";
export {
  checkMemoryBudget,
  checkMemoryBudgetBytes,
  formatMiB,
  type MemoryBudgetCheck,
  MIN_MEMORY_BUDGET_BYTES,
  rowsPerCall,
  smallestBudgetBytes,
} from "./memory-budget.ts";
export {
  type ContrastStep,
  contrastStep,
  decoderInputIds,
  sourceLengthsFor,
  stepPosition,
  targetId,
} from "./sequence-inputs.ts";
export type {
  AttributionMethod,
  MethodContext,
  MethodFamily,
  MethodSequence,
  MethodSequenceOutput,
  MethodSupport,
  SequenceContrast,
} from "./types.ts";
export { createYieldPoint, YIELD_INTERVAL_MS, type YieldPoint, yieldToEventLoop } from "./yield-point.ts";
