/**
 * The factory the scenario runner and `bplab scenario --target qemu` call: one fresh QEMU per
 * scenario, sized as the scenario asks.
 */
import { DEFAULT_TARGET_BP_SIZE_BYTES, type TargetFactory, TargetUnsupportedError } from "@bplab/host";
import { QemuNotFoundError } from "./errors.js";
import { findQemuBinary, probeDeviceProperties, QEMU_BUILD_COMMAND, type QemuBinary } from "./find-qemu.js";
import { BOOTPART_PROPERTY, createQemuTarget, type QemuTargetOptions } from "./libqos/nvme-target.js";

export interface FindPatchedQemuOptions {
  /** Use exactly this binary (else BPLAB_QEMU, the cached patched build, the system QEMU). */
  binary?: string;
  /** The nvme property that proves the patch series is applied. */
  property?: string;
}

/**
 * The QEMU that can run the scenario suite: one whose nvme device has boot partitions. Anything
 * else (no binary, or a stock QEMU) is TargetUnsupportedError with the exact build command, so a
 * runner reports the scenarios as skipped and says how to fix it instead of failing each one.
 */
export async function findPatchedQemu(options: FindPatchedQemuOptions = {}): Promise<QemuBinary> {
  let binary: QemuBinary;
  try {
    binary = await findQemuBinary(options.binary === undefined ? {} : { binary: options.binary });
  } catch (error) {
    // QemuNotFoundError already names the build command.
    if (error instanceof QemuNotFoundError) throw new TargetUnsupportedError(error.message);
    throw error;
  }
  const property = options.property ?? BOOTPART_PROPERTY;
  if (!(await probeDeviceProperties(binary.path, "nvme")).includes(property)) {
    throw new TargetUnsupportedError(
      `${binary.path} (${binary.source}) has no nvme "${property}" property: it is not the patched QEMU. ` +
        `Build it with: ${QEMU_BUILD_COMMAND}`,
    );
  }
  return binary;
}

export function createQemuTargetFactory(base: QemuTargetOptions = {}): TargetFactory {
  return async (request) => {
    if (request.rpmb) {
      throw new TargetUnsupportedError(
        "the QEMU nvme device has no RPMB-controlled BP write protection (MC-34)",
      );
    }
    // Every scenario is about Boot Partitions, so the device always gets them: the size the scenario
    // asks for, else the size every target uses by default, so all targets run the same device.
    const bpSizeBytes =
      request.bpSizeBytes ?? base.bootPartition?.bpSizeBytes ?? DEFAULT_TARGET_BP_SIZE_BYTES;
    const property = base.bootPartition?.property ?? BOOTPART_PROPERTY;
    const binary = await findPatchedQemu({
      property,
      ...(base.binary === undefined ? {} : { binary: base.binary }),
    });
    const options: QemuTargetOptions = {
      ...base,
      binary: binary.path,
      bootPartition: { ...base.bootPartition, bpSizeBytes },
    };
    return createQemuTarget(options);
  };
}
