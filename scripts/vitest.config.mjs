import { defineProject } from "vitest/config";

// The repository's own scripts (the README's two commands run through them).
export default defineProject({
  test: {
    name: "scripts",
    include: ["test/**/*.test.mjs"],
    // No time limit: these tests start pnpm and turbo, whose speed depends on the machine.
    testTimeout: 0,
    hookTimeout: 0,
  },
});
