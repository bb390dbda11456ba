/**
 * A documented upper bound: the largest value tokenscope accepts, and why. Checked before any work
 * starts, so a typo such as `--n-steps 1e9` fails at once instead of running for hours.
 */
export interface Limit {
  /** The largest accepted value (inclusive). */
  readonly max: number;
  /** Unit of `max` in messages ("steps", "bytes"). */
  readonly unit: string;
  /** Why the bound sits where it does, quoted in the error. */
  readonly reason: string;
}

const MiB = 1024 * 1024;

/**
 * Every upper bound tokenscope enforces on sizes it is given, in one table (the README's "Limits"
 * section lists the same). Values are far above real use and far below what would exhaust a machine.
 */
export const limits = {
  integrationSteps: {
    max: 10_000,
    unit: "steps",
    reason:
      "each step is one gradient row per attributed token; past a few thousand steps the integral changes less than float32 rounding",
  },
  samples: {
    max: 100_000,
    unit: "samples",
    reason:
      "each sample costs at least one forward or gradient pass per attributed token, so 100,000 already takes hours on a small model",
  },
  batchRows: {
    max: 16_384,
    unit: "rows",
    reason: "one forward call holds all of its rows in memory at once (a memory budget lowers it further)",
  },
  probes: {
    max: 1_024,
    unit: "probes",
    reason: "each probe costs up to two forward passes per iteration and attributed token",
  },
  probeSteps: {
    max: 100_000,
    unit: "iterations",
    reason: "each iteration costs up to two forward passes per probe still running",
  },
  exactShapleyFeatures: {
    max: 12,
    unit: "features",
    reason:
      "exact Shapley values evaluate all 2^n coalitions: 4,096 forward passes per attributed token at 12",
  },
  rankedTokens: {
    max: 16_777_216,
    unit: "tokens",
    reason: "a ranking holds at most the whole vocabulary, and no vocabulary tokenscope loads is larger",
  },
  contextTokens: {
    max: 1_048_576,
    unit: "tokens",
    reason: "no model tokenscope loads has a context this long",
  },
  newTokens: {
    max: 131_072,
    unit: "tokens",
    reason:
      "each new token is one forward pass, and 128K tokens is the longest context of the model families tokenscope loads",
  },
  threads: {
    max: 1_024,
    unit: "threads",
    reason: "ONNX Runtime starts one operating-system thread per intra-op thread",
  },
  digits: {
    max: 20,
    unit: "digits",
    reason: "float64 scores carry about 17 significant digits",
  },
  resultFileBytes: {
    max: 256 * MiB,
    unit: "bytes",
    reason: "a saved result is read into memory whole",
  },
  resultTextBytes: {
    max: 256 * MiB,
    unit: "bytes",
    reason: "a saved result's JSON text is parsed whole (checked while decompressing)",
  },
  inputFileBytes: {
    max: 64 * MiB,
    unit: "bytes",
    reason: "prompts are read into memory whole",
  },
  metadataFileBytes: {
    max: 64 * MiB,
    unit: "bytes",
    reason: "config, tokenizer and index files are read into memory whole",
  },
  jsonDepth: {
    max: 1_000,
    unit: "levels",
    reason:
      "JSON is parsed and written by recursion, which deeper nesting overflows; results, configs and headers nest under 10 levels",
  },
  modelLayers: {
    max: 1_024,
    unit: "layers",
    reason: "no published language model comes close; a larger value is a corrupt or hostile config",
  },
  modelWidth: {
    max: 1_048_576,
    unit: "units",
    reason: "hidden, intermediate and head sizes beyond this are a corrupt or hostile config",
  },
  randomModelBytes: {
    // 8 GiB: a 1.5B-parameter shape (Qwen2.5-1.5B's is 6.2 GB of float32), the size real-model
    // benchmarks use, with its 16-bit copy and file beside it within a 24 GiB machine.
    max: 8 * 1024 * MiB,
    unit: "bytes",
    reason: "`models random` holds every float32 weight in memory while it writes them",
  },
  vocabulary: {
    max: 16_777_216,
    unit: "tokens",
    reason: "vocabularies beyond 16M entries are a corrupt or hostile config",
  },
  tokenChars: {
    max: 65_536,
    unit: "characters",
    reason:
      "real tokens are at most a few hundred characters, and the tokenizer library's memory grows faster than a token's length",
  },
  prompts: {
    max: 100_000,
    unit: "prompts",
    reason:
      "each prompt is a generation and an attribution, and one run holds every result in memory until it ends",
  },
} as const satisfies Record<string, Limit>;

/** The name of one of tokenscope's {@link limits}. */
export type LimitName = keyof typeof limits;
