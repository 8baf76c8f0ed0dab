import { CodedError } from "@bplab/node-kit";
import { BOOT_PARTITION_UNIT_BYTES } from "@bplab/nvme-spec";

/**
 * The Target interface: the only thing the host driver and the scenario suite know about a device.
 * The same driver and scenarios run in process, over QEMU qtest and over vfio-user, so the shape is a
 * contract (docs/architecture.md) and must not change without telling every target's engineer.
 */
export interface Target {
  /** "core", "qemu", "vfio-user": printed in reports and used to label observations. */
  readonly name: string;
  mmioRead32(offset: number): Promise<number>;
  mmioRead64(offset: number): Promise<bigint>;
  mmioWrite32(offset: number, value: number): Promise<void>;
  mmioWrite64(offset: number, value: bigint): Promise<void>;
  /** Host memory for queues and buffers; physically contiguous, aligned to `align` bytes. */
  alloc(size: number, align?: number): Promise<bigint>;
  memRead(addr: bigint, length: number): Promise<Uint8Array>;
  /** Copies `data` into host memory; once the promise resolves the caller may reuse `data`. */
  memWrite(addr: bigint, data: Uint8Array): Promise<void>;
  /** Lets the device run the work it deferred (doorbells, BP reads). */
  settle(): Promise<void>;
  /** A power cycle as this target defines it (model choice MC-42). */
  powerCycle(): Promise<void>;
  /** FLR / DEVICE_RESET / system_reset: a Controller Level Reset (MC-40). */
  functionReset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * What a scenario may ask of the target it runs on. A factory that cannot provide something
 * throws TargetUnsupportedError and the scenario is reported as skipped with that reason.
 */
export interface TargetRequest {
  /** Size of each Boot Partition; a multiple of 128 KiB. */
  bpSizeBytes?: number;
  /** The core's optional RPMB-controlled write protection (MC-34); `locked[i]` is BP i's RPMB lock. */
  rpmb?: { locked: [boolean, boolean] };
}

/**
 * The BP size every TargetFactory gives when the request names none: two BPSZ units (256 KiB per
 * BP), small, yet more than one MDTS-free chunk of everything. One value for all targets, so a
 * scenario runs the same device on each of them.
 */
export const DEFAULT_TARGET_BP_SIZE_BYTES = 2 * BOOT_PARTITION_UNIT_BYTES;

/** Builds a fresh, powered-on target for one scenario. */
export type TargetFactory = (request: TargetRequest) => Promise<Target>;

/** Optional abilities a target may have beyond the Target interface. */
export interface TargetCapabilities {
  /** The target's powerCycle() restarts a process (QEMU), so it is slow and loses host memory. */
  restartProcess: boolean;
  /** The target can run the core's RPMB-controlled write protection mode (TargetRequest.rpmb). */
  rpmbMode: boolean;
  /** A host address no DMA may reach (to provoke a DMA failure, MC-7); absent when the target has none. */
  unmappedAddress?: bigint;
}

/** A target that says what it can do beyond the interface. */
export type TargetWithCapabilities = Target & { readonly capabilities: TargetCapabilities };

const DEFAULT_CAPABILITIES: TargetCapabilities = { restartProcess: false, rpmbMode: false };

/** The capabilities a target declares, or the conservative defaults when it declares none. */
export function targetCapabilities(target: Target): TargetCapabilities {
  const declared = (target as Partial<TargetWithCapabilities>).capabilities;
  return { ...DEFAULT_CAPABILITIES, ...declared };
}

export type TargetErrorCode =
  | "TARGET_UNSUPPORTED"
  | "TARGET_CLOSED"
  | "HOST_MEMORY_UNMAPPED"
  | "HOST_MEMORY_EXHAUSTED"
  | "BAD_ARGUMENT";

/** Errors raised by targets themselves (not by the device they drive). */
export class TargetError extends CodedError<TargetErrorCode> {}

/** Raised by a TargetFactory for a request it cannot honour; the scenario is skipped with this reason. */
export class TargetUnsupportedError extends TargetError {
  constructor(message: string) {
    super("TARGET_UNSUPPORTED", message);
  }
}
