import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "vfio-user",
    include: ["test/**/*.test.ts"],
    // The end-to-end tests start QEMU and the fuzz test sends thousands of messages; on a loaded
    // 2-core machine that is slow, and a test here never fails for being slow (0 disables the limit).
    testTimeout: 0,
    hookTimeout: 0,
  },
});
