import { defineConfig } from "vitest/config";

/**
 * Shared vitest settings: resolve workspace packages to their `src/` through the
 * `@tokenscope/source` export condition, so tests run without a build step, and
 * write a JSON report per package that `tooling/scripts/test-summary.mjs` adds up.
 */
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ["@tokenscope/source"] },
  ssr: { resolve: { conditions: ["@tokenscope/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
  },
});
