import { accessSync, constants } from "node:fs";
import { processIsAlive } from "../../src/cleanup.js";
import {
  findQemuBinary,
  probeDeviceProperties,
  QEMU_BUILD_COMMAND,
  type QemuBinary,
  SYSTEM_QEMU_PATH,
} from "../../src/find-qemu.js";
import { BOOTPART_PROPERTY } from "../../src/libqos/nvme-target.js";

/** The QEMU the integration tests use, or why they are skipped (printed once per file). */
export const qemuBinary: QemuBinary | undefined = await findQemuBinary().catch((error: Error) => {
  console.warn(`[qtest] skipping QEMU integration tests: ${error.message}`);
  return undefined;
});

export const hasQemu = qemuBinary !== undefined;

/** True when a process with this pid exists. */
export const processExists = processIsAlive;

/** True when the QEMU under test is the patched build (its nvme device has boot partitions). */
export const qemuHasBootPartitions: boolean =
  qemuBinary !== undefined &&
  (await probeDeviceProperties(qemuBinary.path, "nvme").then((names) => names.includes(BOOTPART_PROPERTY)));
if (qemuBinary && !qemuHasBootPartitions) {
  console.warn(
    `[qtest] ${qemuBinary.path} (${qemuBinary.source}) has no boot partitions: BP tests skip. ` +
      `Build the patched QEMU with: ${QEMU_BUILD_COMMAND}`,
  );
}

/**
 * A QEMU without the patch series (the distribution's), to prove the factory refuses it; the test
 * that needs it skips with this printed reason when there is none.
 */
export const unpatchedQemuPath: string | undefined = await (async () => {
  try {
    accessSync(SYSTEM_QEMU_PATH, constants.X_OK);
    const properties = await probeDeviceProperties(SYSTEM_QEMU_PATH, "nvme");
    if (!properties.includes(BOOTPART_PROPERTY)) return SYSTEM_QEMU_PATH;
    console.warn(`[qtest] ${SYSTEM_QEMU_PATH} has boot partitions: the unpatched-QEMU test skips`);
  } catch {
    console.warn(
      `[qtest] no unpatched ${SYSTEM_QEMU_PATH} (apt-get install --no-install-recommends qemu-system-x86): the unpatched-QEMU test skips`,
    );
  }
  return undefined;
})();
