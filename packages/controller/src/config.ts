import {
  BOOT_PARTITION_COUNT,
  BOOT_PARTITION_UNIT_BYTES,
  BPSZ_MAX,
  FWUG_LAB_DEFAULT,
  IDENTIFY_CONTROLLER_DEFAULTS,
  MDTS_LAB_DEFAULT,
  U8_MAX,
  U16_MAX,
} from "@bplab/nvme-spec";
import { ControllerConfigError } from "./errors.js";
import type { BootPartitionStore, NamespaceStore } from "./ports.js";
import type { RpmbProtection } from "./write-protection.js";

/**
 * What a lab user may configure. Defaults follow docs/model-choices.md ("Defaults shared by the
 * TS core and the QEMU device"), so the in-process core and the patched QEMU device agree.
 */
export interface ControllerConfig {
  /** Identify byte 319 FWUG, 4 KiB units; 0h and FFh mean no granularity rule (MC-12). Default 01h. */
  fwug: number;
  /**
   * Identify byte 77 MDTS: max transfer = 2^MDTS × 4 KiB, from 1 (8 KiB) to 12 (16 MiB); default 7
   * (512 KiB). MDTS=0 ("no limit") is not offered: a single Get Log Page could then ask for 16 GiB.
   */
  mdts: number;
  /** Identify SN, ASCII, at most 20 characters. */
  serialNumber: string;
  /** Identify MN, ASCII, at most 40 characters. */
  modelNumber: string;
  /** Identify FR, ASCII, at most 8 characters. */
  firmwareRevision: string;
  /** The optional RPMB-controlled write-protection mode (MC-34); off by default. */
  rpmb?: { enabled: boolean; locked: [boolean, boolean] };
  /** I/O queue pairs the controller allocates (Number of Queues feature). Default 4. */
  maxIoQueues: number;
  /** Interrupt vectors the transport provides; Create I/O CQ rejects IV at or above this. */
  msixVectors: number;
  /** Entries in the largest I/O queue (CAP.MQES + 1). Default 1024. */
  maxQueueEntries: number;
  /** Logical block size of the namespace: 512 or 4096 bytes. Default 512. */
  lbaSizeBytes: number;
  /** CAP.TO in 500 ms units: how long a host waits for CSTS.RDY. Default 15 (7.5 s). */
  readyTimeoutUnits: number;
  /** Identify VID and SSVID (PCI vendor IDs). */
  pciVendorId: number;
  pciSubsystemVendorId: number;
}

/** Identify defaults shared with @bplab/nvme-spec, so both packages describe the same device. */
const IDENTITY = IDENTIFY_CONTROLLER_DEFAULTS;
/** I/O queue pairs, vectors and queue depth: enough for a Linux host, small enough for tests. */
const DEFAULT_IO_QUEUES = 4;
const DEFAULT_MSIX_VECTORS = 8;
const DEFAULT_QUEUE_ENTRIES = 1024;
const DEFAULT_LBA_BYTES = 512;
/** CAP.TO = 15 × 500 ms: the controller is ready at once, so any value is honest. */
const DEFAULT_READY_TIMEOUT_UNITS = 15;

export const DEFAULT_CONTROLLER_CONFIG: Readonly<ControllerConfig> = Object.freeze({
  fwug: FWUG_LAB_DEFAULT,
  mdts: MDTS_LAB_DEFAULT,
  serialNumber: IDENTITY.sn,
  modelNumber: IDENTITY.mn,
  firmwareRevision: IDENTITY.fr,
  maxIoQueues: DEFAULT_IO_QUEUES,
  msixVectors: DEFAULT_MSIX_VECTORS,
  maxQueueEntries: DEFAULT_QUEUE_ENTRIES,
  lbaSizeBytes: DEFAULT_LBA_BYTES,
  readyTimeoutUnits: DEFAULT_READY_TIMEOUT_UNITS,
  pciVendorId: IDENTITY.vid,
  pciSubsystemVendorId: IDENTITY.ssvid,
});

/** Identify string field widths (bytes 23:4 SN, 63:24 MN, 71:64 FR). */
const SERIAL_NUMBER_MAX_CHARS = 20;
const MODEL_NUMBER_MAX_CHARS = 40;
const FIRMWARE_REVISION_MAX_CHARS = 8;
/** Printable ASCII, what the Identify string fields allow. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** MDTS range the core offers: 8 KiB to 16 MiB per command, so every transfer fits in memory (MC-68). */
const MDTS_MIN = 1;
const MDTS_MAX = 12;
/** QIDs are 16 bits and QID 0 is the admin queue. */
const IO_QUEUES_MAX = 0xffff;
/** MSI-X allows at most 2048 vectors. */
const MSIX_VECTORS_MAX = 2048;
/** A queue has at least two entries; MQES is 16 bits, 0's based. */
const QUEUE_ENTRIES_MIN = 2;
const QUEUE_ENTRIES_MAX = 0x10000;
const SUPPORTED_LBA_SIZES = [DEFAULT_LBA_BYTES, 4096] as const;

export interface ResolvedConfig extends ControllerConfig {
  readonly rpmbProtection: RpmbProtection;
}

/** Merges `partial` over the defaults and checks every field; errors name the field and rule. */
export function resolveControllerConfig(partial: Partial<ControllerConfig> = {}): ResolvedConfig {
  const config: ControllerConfig = { ...DEFAULT_CONTROLLER_CONFIG, ...stripUndefined(partial) };
  checkInteger("config.fwug", config.fwug, 0, U8_MAX);
  checkInteger("config.mdts", config.mdts, MDTS_MIN, MDTS_MAX);
  checkAscii("config.serialNumber", config.serialNumber, SERIAL_NUMBER_MAX_CHARS);
  checkAscii("config.modelNumber", config.modelNumber, MODEL_NUMBER_MAX_CHARS);
  checkAscii("config.firmwareRevision", config.firmwareRevision, FIRMWARE_REVISION_MAX_CHARS);
  checkInteger("config.maxIoQueues", config.maxIoQueues, 1, IO_QUEUES_MAX);
  checkInteger("config.msixVectors", config.msixVectors, 1, MSIX_VECTORS_MAX);
  checkInteger("config.maxQueueEntries", config.maxQueueEntries, QUEUE_ENTRIES_MIN, QUEUE_ENTRIES_MAX);
  checkInteger("config.readyTimeoutUnits", config.readyTimeoutUnits, 1, U8_MAX);
  checkInteger("config.pciVendorId", config.pciVendorId, 0, U16_MAX);
  checkInteger("config.pciSubsystemVendorId", config.pciSubsystemVendorId, 0, U16_MAX);
  if (!(SUPPORTED_LBA_SIZES as readonly number[]).includes(config.lbaSizeBytes)) {
    throw new ControllerConfigError(
      "config.lbaSizeBytes",
      `must be one of ${SUPPORTED_LBA_SIZES.join(", ")}`,
      config.lbaSizeBytes,
    );
  }
  const rpmbProtection = resolveRpmb(config.rpmb);
  return Object.freeze({ ...config, rpmbProtection });
}

function resolveRpmb(rpmb: ControllerConfig["rpmb"]): RpmbProtection {
  if (rpmb === undefined) return { enabled: false, locked: [true, true] };
  if (typeof rpmb.enabled !== "boolean")
    throw new ControllerConfigError("config.rpmb.enabled", "must be a boolean", rpmb.enabled);
  const locked = rpmb.locked ?? [true, true];
  if (
    !Array.isArray(locked) ||
    locked.length !== BOOT_PARTITION_COUNT ||
    !locked.every((bit) => typeof bit === "boolean")
  ) {
    throw new ControllerConfigError("config.rpmb.locked", "must be [boolean, boolean] (BP0, BP1)", locked);
  }
  return Object.freeze({ enabled: rpmb.enabled, locked: Object.freeze([locked[0], locked[1]] as const) });
}

/** Checks the storage ports: BP size in whole 128 KiB units, 1..0x7FFF; namespace in whole LBAs. */
export function checkStores(
  bootPartitions: BootPartitionStore,
  namespace: NamespaceStore | undefined,
  config: ControllerConfig,
): void {
  const bpSize = bootPartitions?.bpSizeBytes;
  if (
    typeof bpSize !== "number" ||
    !Number.isInteger(bpSize) ||
    bpSize <= 0 ||
    bpSize % BOOT_PARTITION_UNIT_BYTES !== 0 ||
    bpSize / BOOT_PARTITION_UNIT_BYTES > BPSZ_MAX
  ) {
    throw new ControllerConfigError(
      "bootPartitions.bpSizeBytes",
      `must be a whole number of ${BOOT_PARTITION_UNIT_BYTES}-byte units, from 1 to ${BPSZ_MAX} units`,
      bpSize,
    );
  }
  if (namespace === undefined) return;
  const nsSize = namespace.sizeBytes;
  if (!Number.isInteger(nsSize) || nsSize < config.lbaSizeBytes || nsSize % config.lbaSizeBytes !== 0) {
    throw new ControllerConfigError(
      "namespace.sizeBytes",
      `must be a positive multiple of the LBA size (${config.lbaSizeBytes} bytes)`,
      nsSize,
    );
  }
}

/** Largest data transfer in bytes (MDTS in units of the minimum page size, 4 KiB). */
export function maxTransferBytes(config: ControllerConfig, minPageBytes: number): number {
  return minPageBytes * 2 ** config.mdts;
}

function checkInteger(field: string, value: unknown, min: number, max: number): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ControllerConfigError(field, `must be an integer from ${min} to ${max}`, value);
  }
}

function checkAscii(field: string, value: unknown, maxChars: number): void {
  if (typeof value !== "string" || value.length > maxChars || !PRINTABLE_ASCII.test(value)) {
    throw new ControllerConfigError(
      field,
      `must be printable ASCII of at most ${maxChars} characters`,
      value,
    );
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
