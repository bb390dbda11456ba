import { defineConfig, mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../tooling/vitest.shared.ts";

/** Fast unit tests beside the code (the schema → form logic, the runtime plan); no browser. */
export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    resolve: { conditions: ["@tokenscope/source", "browser"] },
    test: { include: ["src/**/*.test.ts"] },
  }),
);
