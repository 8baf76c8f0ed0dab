import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "in-process-target",
    include: ["test/**/*.test.ts"],
    // Whole scenarios (each one several hundred commands) run on 2 cores next to every other
    // package's tests: the default 5 s limit would make them flaky, so the bound is generous.
    testTimeout: 600_000,
  },
});
