/**
 * @bplab/lab: the lab's end-to-end guest test. A Debian Linux guest (kernel 6.1, busybox,
 * nvme-cli 2.3) boots on the patched QEMU's nvme device or on the TS controller behind stock
 * QEMU's vfio-user-pci, and drives the Boot Partitions through the real Linux
 * NVMe driver; the host reads its results from the serial console.
 */

export * from "./bootpart-image.js";
export type { CpioEntry } from "./cpio.js";
export { CpioBuilder, encodeCpio } from "./cpio.js";
export type { AttachedGuestDevice, AttachGuestDeviceOptions, GuestDeviceTarget } from "./device-target.js";
export {
  attachGuestDevice,
  bootpartFileBpSizeBytes,
  DEFAULT_GUEST_DEVICE_TARGET,
  GUEST_DEVICE_TARGETS,
  guestDeviceUnavailable,
  patchedDeviceQemuArgs,
} from "./device-target.js";
export { readModinfo } from "./elf-modinfo.js";
export * from "./errors.js";
export type { GuestImage, GuestImageOptions, GuestManifest } from "./guest-image.js";
export {
  buildGuestImage,
  DEFAULT_KERNEL_PACKAGE,
  guestCacheDir,
  guestDownloadDir,
  guestImageKey,
  HOST_PACKAGES,
  KERNEL_PACKAGE_ENV,
} from "./guest-image.js";
export { BootResult, GUEST_LIBRARY, GuestPath, guestInit, SerialMarker } from "./guest-init.js";
export type { GuestKernel, GuestRun, GuestRunOptions, GuestTiming } from "./guest-runner.js";
export {
  composeInitrd,
  DEFAULT_GUEST_TIMEOUT_MS,
  GUEST_KERNEL_ARGS,
  GUEST_TEMP_PREFIX,
  guestQemuArgs,
  runGuest,
} from "./guest-runner.js";
export * from "./guest-script.js";
export type { CommandResult, CommandRunner, HostFacts } from "./host-system.js";
export { detectHostFacts, ensureHostPackages, hostBlockers, parseLddOutput } from "./host-system.js";
export type { KernelModuleInfo } from "./kernel-modules.js";
export { resolveLoadOrder, scanModuleTree } from "./kernel-modules.js";
export type { NvmeCliStatus, NvmeCliVersions } from "./nvme-cli.js";
export {
  bootPartitionLogData,
  bootPartLogIgnoresLsp,
  NVME_CONTROLLER_DEVICE,
  nvmeCli,
  parseFeatureValue,
  parseNvmeCliStatus,
  parseNvmeVersions,
} from "./nvme-cli.js";
export * from "./patched-qemu.js";
export * from "./serial-protocol.js";
