import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "qtest",
    include: ["test/**/*.test.ts"],
    // No time limits in tests (a loaded CI machine is slow, never wrong): 0 turns vitest's 5 s off.
    testTimeout: 0,
    hookTimeout: 0,
    // Kills any QEMU a crashed or timed-out test file left behind (see src/cleanup.ts).
    globalSetup: ["./test/global-setup.ts"],
  },
});
