import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "node-kit",
    include: ["test/**/*.test.ts"],
    // The race tests start dozens of node processes; on a loaded machine that is slow, and a test
    // here never fails for being slow (0 disables vitest's per-test time limit).
    testTimeout: 0,
    hookTimeout: 0,
  },
});
