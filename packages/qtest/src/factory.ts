/**
 * The factory the scenario runner and `bplab scenario --target qemu` call: one fresh QEMU per
 * scenario, sized as the scenario asks.
 */
import { type TargetFactory, TargetUnsupportedError } from "@bplab/host";
import { findQemuBinary, probeDeviceProperties, QEMU_BUILD_COMMAND } from "./find-qemu.js";
import { BOOTPART_PROPERTY, createQemuTarget, type QemuTargetOptions } from "./libqos/nvme-target.js";

export function createQemuTargetFactory(base: QemuTargetOptions = {}): TargetFactory {
  return async (request) => {
    if (request.rpmb) {
      throw new TargetUnsupportedError(
        "the QEMU nvme device has no RPMB-controlled BP write protection (MC-34)",
      );
    }
    const options: QemuTargetOptions = { ...base };
    if (request.bpSizeBytes !== undefined) {
      const binary = await findQemuBinary(base.binary === undefined ? {} : { binary: base.binary });
      const property = base.bootPartition?.property ?? BOOTPART_PROPERTY;
      if (!(await probeDeviceProperties(binary.path, "nvme")).includes(property)) {
        throw new TargetUnsupportedError(
          `${binary.path} (${binary.source}) has no nvme "${property}" property: it is not the patched QEMU. ` +
            `Build it with: ${QEMU_BUILD_COMMAND}`,
        );
      }
      options.bootPartition = { ...base.bootPartition, bpSizeBytes: request.bpSizeBytes };
    }
    return createQemuTarget(options);
  };
}
