import { defineConfig, mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../tooling/vitest.shared.ts";

// Test files named *.isolated.test.ts mock node modules (vi.mock): they run in a module graph of their
// own, since the shared graph (isolate: false) may already hold the real module.
const isolated = "src/**/*.isolated.test.ts";

export default mergeConfig(
  sharedTestConfig,
  defineConfig({
    test: {
      projects: [
        { extends: true, test: { name: "shared", exclude: [isolated] } },
        { extends: true, test: { name: "isolated", include: [isolated], isolate: true } },
      ],
    },
  }),
);
