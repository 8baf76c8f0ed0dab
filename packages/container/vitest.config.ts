import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "container",
    include: ["test/**/*.test.ts"],
    // Building the lab image takes many minutes on a cold machine: a test never fails for being slow.
    testTimeout: 0,
    hookTimeout: 0,
  },
});
