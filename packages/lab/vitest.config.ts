import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "lab",
    include: ["test/**/*.test.ts"],
    // Kills any guest QEMU a crashed test file left behind and reports stragglers.
    globalSetup: ["./test/global-setup.ts"],
    // No time limits (project rule): each guest boot is a full Linux boot under TCG (15-110 s
    // with other packages testing on the same 2 cores), six of them now (three per device target),
    // and the first run builds the guest image. runGuest's own per-boot safety net
    // (DEFAULT_GUEST_TIMEOUT_MS) still ends a guest that hangs.
    testTimeout: 0,
    hookTimeout: 0,
  },
});
