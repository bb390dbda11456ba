import { defineConfig } from "vitest/config";

/*
 * The packed install runs the published artefacts (dist), so it needs no source condition; its one
 * test installs from the npm registry and runs models, so it gets a long timeout of its own, and its
 * report goes where the test summary reads slow runs.
 */
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    pool: "forks",
    reporters: ["default", ["json", { outputFile: ".test-results/vitest-slow.json" }]],
  },
});
