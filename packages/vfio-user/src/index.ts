export * from "./control/index.js";
export * from "./errors.js";
export {
  controlSocketFor,
  DEFAULT_GUEST_DEVICE_MEMORY,
  decodeBootpartImage,
  encodeBootpartImage,
  GUEST_DEVICE_ID,
  GuestDeviceError,
  type GuestDeviceErrorCode,
  type GuestNvmeDevice,
  type GuestNvmeDeviceOptions,
  isPlainMemorySize,
  type StateDirServeOptions,
  type StateDirServer,
  serveStateDir,
  startGuestNvmeDevice,
  vfioUserDeviceQemuArgs,
} from "./guest-device.js";
export {
  CapabilityOffset,
  CONFIG_SPACE_BYTES,
  ConfigSpace,
  NVME_CLASS_CODE,
  PciCommand,
  PciConfig,
} from "./pci/config-space.js";
export { CONTROLLER_REGISTER_BYTES, NvmePciFunction } from "./pci/nvme-function.js";
export * from "./protocol/index.js";
export { type DmaMap, DmaMapTable } from "./server/dma-maps.js";
export {
  startVfioUserServer,
  VfioUserNvmeServer,
  type VfioUserServerOptions,
  type VfioUserServerStats,
} from "./server/host.js";
export { MsixEventfds } from "./server/interrupts.js";
export { loadFdPassing } from "./server/transport.js";
export {
  createVfioUserTarget,
  createVfioUserTargetFactory,
  findVfioUserQemu,
  VfioUserTarget,
  type VfioUserTargetOptions,
} from "./target.js";
