import { defineConfig } from "vitest/config";

/** The end-to-end test: the built dist/ in headless Chromium, compared with the CLI. Run after `vite build`; its report is where the test summary reads slow runs. */
export default defineConfig({
  resolve: { conditions: ["@tokenscope/source"] },
  ssr: { resolve: { conditions: ["@tokenscope/source"] } },
  test: {
    include: ["e2e/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 90_000,
    pool: "forks",
    reporters: ["default", ["json", { outputFile: ".test-results/vitest-slow.json" }]],
  },
});
