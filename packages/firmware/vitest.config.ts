import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "firmware",
    include: ["test/**/*.test.ts"],
    // Kills any QEMU a crashed test file left behind and reports stragglers.
    globalSetup: ["./test/global-setup.ts"],
    // No time limits: every boot test polls the serial log for the line it needs, and each boot
    // (OVMF + the shell's 5 s countdown + Linux under TCG) takes 30-60 s on a loaded machine.
    testTimeout: 0,
    hookTimeout: 0,
  },
});
