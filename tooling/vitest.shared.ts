import { defineConfig } from "vitest/config";

/**
 * Shared vitest settings: resolve workspace packages to their `src/` through the
 * `@tokenscope/source` export condition, so tests run without a build step, and
 * write a JSON report per package that `tooling/scripts/test-summary.mjs` adds up.
 *
 * Sized for CI's 2 cores, where turbo runs two tasks at once (`concurrency` in turbo.json):
 * each vitest gets half the cores for its workers (one on CI), and a worker runs its test
 * files one after another in one module graph (`isolate: false`) instead of a fresh process
 * per file. Re-importing onnxruntime, the models and the graph code for every file, with a
 * cold JIT each time, was a third of the test time (models: 38 s alone, 27 s shared).
 * Test files therefore must not rely on module state another file left behind; run
 * `vitest run --isolate` in a package to check one file at a time.
 */
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ["@tokenscope/source"] },
  ssr: { resolve: { conditions: ["@tokenscope/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: "50%",
    isolate: false,
    reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
  },
});
