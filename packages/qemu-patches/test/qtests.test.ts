import { describe, expect, it } from "vitest";
import { QemuNotBuiltError } from "../src/errors.js";
import { NVME_QOS_PATH } from "../src/pins.js";
import { runQtests } from "../src/qtests.js";
import { fakeBuiltCache } from "./fixtures.js";
import { scriptedRunner, tempDir } from "./helpers.js";

const NVME = "/x86_64/pc/i440FX-pcihost/pci-bus-pc/pci-bus/nvme/nvme-tests";

describe("runQtests", () => {
  it("runs qos-test on the nvme path with the built QEMU and splits Boot Partition from stock tests", async () => {
    const built = fakeBuiltCache();
    const runner = scriptedRunner([
      [
        () => true,
        {
          lines: [
            "# random seed: R02S",
            `ok 1 ${NVME}/reg-read`,
            `ok 2 ${NVME}/bp-log`,
            `not ok 3 ${NVME}/bp-wp`,
            `ok 4 ${NVME}/bp-restart # SKIP needs the pc machine`,
            "1..4",
          ],
          exitCode: 1,
        },
      ],
    ]);
    const result = await runQtests({ cacheDir: built.cacheDir, env: {}, runner });
    expect(runner.calls[0]?.command).toBe(built.qosTest);
    expect(runner.calls[0]?.args).toEqual(["--tap", "-k", "-r", NVME_QOS_PATH]);
    expect(runner.calls[0]?.options.env?.QTEST_QEMU_BINARY).toBe("./qemu-system-x86_64");
    expect(result).toMatchObject({ passed: 2, failed: 1, skipped: 1 });
    expect(result.bootPartition).toEqual({ passed: 1, failed: 1, skipped: 1 });
    expect(result.stock).toEqual({ passed: 1, failed: 0, skipped: 0 });
  });

  it("counts a crash without a failing test line as a failure", async () => {
    const built = fakeBuiltCache();
    const runner = scriptedRunner([
      [() => true, { lines: [`ok 1 ${NVME}/bp-log`, "Bail out! abort"], exitCode: null }],
    ]);
    const result = await runQtests({ cacheDir: built.cacheDir, env: {}, runner });
    expect(result.failed).toBe(1);
    expect(result.tests.at(-1)?.name).toBe("qos-test exited with a signal");
  });

  it("needs a build", async () => {
    await expect(
      runQtests({ cacheDir: tempDir(), env: {}, runner: scriptedRunner() }),
    ).rejects.toBeInstanceOf(QemuNotBuiltError);
  });
});
