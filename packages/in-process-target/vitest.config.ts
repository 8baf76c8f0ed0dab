import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "in-process-target",
    include: ["test/**/*.test.ts"],
    // No time limits in tests (a loaded CI machine is slow, never wrong): 0 turns vitest's 5 s off.
    testTimeout: 0,
    hookTimeout: 0,
  },
});
