export {
  type ControllerConfig,
  DEFAULT_CONTROLLER_CONFIG,
  type ResolvedConfig,
  resolveControllerConfig,
} from "./config.js";
export { type ControllerOptions, NvmeController } from "./controller.js";
export {
  ControllerConfigError,
  ControllerError,
  type ControllerErrorCode,
  StorageError,
  type StorageErrorCode,
} from "./errors.js";
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
// Every port (and DmaError, which HostMemory implementations throw) is public.
export * from "./ports.js";
export {
  isQuirkProfileName,
  QUIRK_PROFILE_NAMES,
  QUIRK_PROFILES,
  type QuirkProfileName,
  type QuirkSwitches,
  resolveQuirks,
} from "./quirks.js";
export { formatSize, parseSize } from "./sizes.js";
export type { CommandResult } from "./status.js";
export {
  DEFAULT_NAMESPACE_SIZE_BYTES,
  validateBpSizeBytes,
  validateNamespaceSizeBytes,
} from "./store-geometry.js";
export { ImmediateScheduler, ManualClock, ManualScheduler, systemClock } from "./time.js";
export {
  TraceBus,
  type TraceEvent,
  type TraceListener,
  type TraceSubscribeOptions,
  type TraceValue,
} from "./trace.js";
export {
  type BpLockState,
  type BpLockStates,
  LOCK_STATE_TRANSITIONS,
  type LockStateRow,
  POWER_ON_LOCK_STATES,
  type ReportedLockState,
  type ReportedLockStates,
  type RpmbProtection,
  type SetCell,
} from "./write-protection.js";
