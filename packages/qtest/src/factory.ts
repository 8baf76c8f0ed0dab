/**
 * The factory the scenario runner and `bplab scenario --target qemu` call: one fresh QEMU per
 * scenario, sized as the scenario asks.
 */
import { DEFAULT_IN_PROCESS_BP_SIZE_BYTES, type TargetFactory, TargetUnsupportedError } from "@bplab/host";
import { findQemuBinary, probeDeviceProperties, QEMU_BUILD_COMMAND } from "./find-qemu.js";
import { BOOTPART_PROPERTY, createQemuTarget, type QemuTargetOptions } from "./libqos/nvme-target.js";

export function createQemuTargetFactory(base: QemuTargetOptions = {}): TargetFactory {
  return async (request) => {
    if (request.rpmb) {
      throw new TargetUnsupportedError(
        "the QEMU nvme device has no RPMB-controlled BP write protection (MC-34)",
      );
    }
    // Every scenario is about Boot Partitions, so the device always gets them: the size the scenario
    // asks for, else the size the in-process target uses, so both targets run the same device.
    const bpSizeBytes =
      request.bpSizeBytes ?? base.bootPartition?.bpSizeBytes ?? DEFAULT_IN_PROCESS_BP_SIZE_BYTES;
    const binary = await findQemuBinary(base.binary === undefined ? {} : { binary: base.binary });
    const property = base.bootPartition?.property ?? BOOTPART_PROPERTY;
    if (!(await probeDeviceProperties(binary.path, "nvme")).includes(property)) {
      throw new TargetUnsupportedError(
        `${binary.path} (${binary.source}) has no nvme "${property}" property: it is not the patched QEMU. ` +
          `Build it with: ${QEMU_BUILD_COMMAND}`,
      );
    }
    const options: QemuTargetOptions = { ...base, bootPartition: { ...base.bootPartition, bpSizeBytes } };
    return createQemuTarget(options);
  };
}
