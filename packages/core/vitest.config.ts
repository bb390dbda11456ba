import { defineConfig, mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../tooling/vitest.shared.ts";

// Test files named *.isolated.test.ts mock node modules (vi.mock): they run in a module graph of their
// own, since the shared graph (isolate: false) may already hold the real module. The isolated project
// does not extend the root config: `include` arrays would be concatenated, running every file twice.
const isolated = "src/**/*.isolated.test.ts";
const { resolve, ssr, test } = sharedTestConfig;

export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      projects: [
        { extends: true, test: { name: "shared", exclude: [isolated] } },
        {
          resolve,
          ssr,
          test: {
            name: "isolated",
            include: [isolated],
            isolate: true,
            pool: "forks",
            testTimeout: test?.testTimeout,
            hookTimeout: test?.hookTimeout,
          },
        },
      ],
    },
  }),
);
