import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "pins",
    include: ["test/**/*.test.ts"],
    // The drift tests read files only, but a test here never fails for being slow.
    testTimeout: 0,
    hookTimeout: 0,
  },
});
