import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "qtest",
    include: ["test/**/*.test.ts"],
    // Kills any QEMU a crashed or timed-out test file left behind (see src/cleanup.ts).
    globalSetup: ["./test/global-setup.ts"],
    // Generous: each integration test starts a QEMU, and CI runs every package on 2 cores at once.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
