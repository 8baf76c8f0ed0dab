import { processIsAlive } from "../../src/cleanup.js";
import {
  findQemuBinary,
  probeDeviceProperties,
  QEMU_BUILD_COMMAND,
  type QemuBinary,
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
