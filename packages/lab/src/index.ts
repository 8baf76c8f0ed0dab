/**
 * @bplab/lab: the lab's end-to-end guest test. A Debian Linux guest (kernel 6.1, busybox,
 * nvme-cli 2.3) boots on the patched QEMU and drives the Boot Partitions through the real Linux
 * NVMe driver; the host reads its results from the serial console.
 */

export type { BootpartImage, BootpartImageOptions } from "./bootpart-image.js";
export {
  createBootpartImage,
  DEFAULT_BPSZ,
  readBootPartition,
  zeroFilledBootPartition,
} from "./bootpart-image.js";
export type { CpioEntry } from "./cpio.js";
export { CpioBuilder, encodeCpio } from "./cpio.js";
export { readModinfo } from "./elf-modinfo.js";
export type { LabErrorCode } from "./errors.js";
export {
  CommandFailedError,
  GuestAbortedError,
  GuestBuildError,
  GuestIncompleteError,
  GuestOutputError,
  GuestProtocolError,
  GuestTimeoutError,
  HostUnsupportedError,
  LabBadOptionError,
  LabError,
} from "./errors.js";
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
export type { GuestFile } from "./guest-script.js";
export {
  GuestScript,
  guestFilePath,
  MAX_CMDLINE_SCRIPT_BYTES,
  overlayArchive,
  scriptCmdlineArgument,
  shellQuote,
} from "./guest-script.js";
export type { CommandResult, CommandRunner, HostFacts } from "./host-system.js";
export { detectHostFacts, hostBlockers, parseLddOutput } from "./host-system.js";
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
export type { EnsureQemuOptions } from "./patched-qemu.js";
export { ensurePatchedQemu } from "./patched-qemu.js";
export type { CommandOutcome, GuestReport } from "./serial-protocol.js";
export {
  commandOutcome,
  parseSerialOutput,
  requireBlob,
  requireResult,
  SerialReportParser,
} from "./serial-protocol.js";
