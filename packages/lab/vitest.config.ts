import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "lab",
    include: ["test/**/*.test.ts"],
    // Kills any guest QEMU a crashed test file left behind and reports stragglers.
    globalSetup: ["./test/global-setup.ts"],
    // Each guest boot is a full Linux boot under TCG (~10-20 s, more while other packages test on
    // the same 2 cores) and the first run builds the guest image: these are safety nets, not
    // assertions on time.
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
