// The cluster test's own configuration (`npm run test:cluster`), apart from the root projects
// so `npm test` never brings a cluster up. Same module resolution as the root configuration.
import { defineConfig, mergeConfig } from "vitest/config";
import root from "../../vitest.config.js";

export default mergeConfig({ resolve: root.resolve, ssr: root.ssr }, defineConfig({
  test: {
    name: "cluster",
    include: ["test/cluster/**/*.test.ts"],
    testTimeout: 30 * 60_000,
    hookTimeout: 60 * 60_000,
    fileParallelism: false,
  },
}));
