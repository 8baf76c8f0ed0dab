/**
 * Geometry rules shared by every store: how big a Boot Partition and a namespace may be, and the
 * bounds check every read and write goes through.
 */
import { BOOT_PARTITION_UNIT_BYTES, BPSZ_MAX } from "@bplab/nvme-spec";
import { StorageError } from "./errors.js";

/**
 * Namespace sizes are whole 4 KiB granules: a lab choice (not a spec rule) so that both 512-byte
 * and 4 KiB LBA formats divide the namespace exactly.
 */
export const NAMESPACE_SIZE_GRANULE_BYTES = 4096;

/** The namespace size used when a caller does not choose one: big enough for a file system test. */
export const DEFAULT_NAMESPACE_SIZE_BYTES = 16 * 1024 * 1024;

export interface StoreGeometry {
  /** Each BP's size: BPSZ x 128 KiB. */
  readonly bpSizeBytes: number;
  readonly namespaceSizeBytes: number;
}

function invalid(field: string, rule: string, value: unknown): StorageError {
  return new StorageError(
    "STORAGE_INVALID_ARGUMENT",
    field,
    `${field} must be ${rule}, got ${String(value)}`,
  );
}

/** A positive integer that is a whole number of `unit`s; `unitWhy` says where the unit comes from. */
function checkPositiveMultiple(value: unknown, field: string, unit: number, unitWhy: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw invalid(field, "a positive integer", value);
  }
  if (value % unit !== 0) throw invalid(field, `a multiple of ${unit}${unitWhy}`, value);
  return value;
}

/** Checks BPSZ x 128 KiB with BPSZ from 1 to 0x7FFF (BPINFO.BPSZ is 15 bits). */
export function validateBpSizeBytes(value: unknown, field = "bpSizeBytes"): number {
  const bytes = checkPositiveMultiple(
    value,
    field,
    BOOT_PARTITION_UNIT_BYTES,
    " (BPSZ counts 128 KiB units)",
  );
  const max = BPSZ_MAX * BOOT_PARTITION_UNIT_BYTES;
  if (bytes > max) throw invalid(field, `at most ${max} (BPSZ 0x${BPSZ_MAX.toString(16)} x 128 KiB)`, bytes);
  return bytes;
}

/** A namespace is a positive whole number of 4 KiB granules, so every LBA format fits it exactly. */
export function validateNamespaceSizeBytes(value: unknown, field = "namespaceSizeBytes"): number {
  return checkPositiveMultiple(value, field, NAMESPACE_SIZE_GRANULE_BYTES, "");
}

export function resolveGeometry(options: {
  bpSizeBytes: number;
  namespaceSizeBytes?: number;
}): StoreGeometry {
  if (typeof options !== "object" || options === null) {
    throw new StorageError(
      "STORAGE_INVALID_ARGUMENT",
      "options",
      "options must be an object with bpSizeBytes",
    );
  }
  return {
    bpSizeBytes: validateBpSizeBytes(options.bpSizeBytes),
    namespaceSizeBytes: validateNamespaceSizeBytes(
      options.namespaceSizeBytes ?? DEFAULT_NAMESPACE_SIZE_BYTES,
    ),
  };
}

/**
 * Every store method calls this before touching bytes, so a controller bug surfaces as a clear
 * error instead of a silent short read or a file that grows past its geometry.
 */
export function checkRange(what: string, offset: number, length: number, sizeBytes: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new StorageError(
      "STORAGE_OUT_OF_RANGE",
      `${what} offset`,
      `${what} offset must be a non-negative integer, got ${offset}`,
    );
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new StorageError(
      "STORAGE_OUT_OF_RANGE",
      `${what} length`,
      `${what} length must be a non-negative integer, got ${length}`,
    );
  }
  if (offset + length > sizeBytes) {
    throw new StorageError(
      "STORAGE_OUT_OF_RANGE",
      `${what} offset`,
      `${what} of ${length} bytes at offset ${offset} ends past the end (${sizeBytes} bytes)`,
    );
  }
}
