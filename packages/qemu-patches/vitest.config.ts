import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "qemu-patches",
    include: ["test/**/*.test.ts"],
    // The integration tests run real QEMU processes whose speed depends on the machine; a test
    // here never fails for being slow (0 disables vitest's per-test time limit).
    testTimeout: 0,
    hookTimeout: 0,
  },
});
