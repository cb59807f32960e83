import { defineConfig } from "vitest/config";

// Resolve @booru/* workspace packages to their TypeScript sources (the "source" export condition).
const resolve = { conditions: ["source", "import", "node", "default"] };

export default defineConfig({
  resolve,
  ssr: { resolve: { conditions: resolve.conditions, externalConditions: ["source"] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "deploy/**/*.test.ts", "bench/**/*.test.ts", "test/harness/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["services/*/test/**/*.test.ts", "packages/*/test/**/*.test.ts", "test/integration/**/*.test.ts"],
          globalSetup: ["test/harness/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Real servers and subprocesses: keep the 2-core machine from thrashing.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: "resilience",
          include: ["test/resilience/**/*.test.ts"],
          globalSetup: ["test/harness/global-setup.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
