import { defineConfig } from "vitest/config";

/**
 * Shared vitest settings: resolve workspace packages to their `src/` through the
 * `@tokenscope/source` export condition, so tests run without a build step.
 */
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ["@tokenscope/source"] },
  ssr: { resolve: { conditions: ["@tokenscope/source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    pool: "forks",
  },
});
