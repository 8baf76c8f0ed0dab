/**
 * Sizes as people type them: "4096", "128K", "1G", "1.5M", "64KiB". Units are binary (K = 1024),
 * because BPSZ counts 128 KiB units and firmware engineers think in KiB.
 */
import { StorageError } from "./errors.js";

const KIB = 1024;
const UNIT_MULTIPLIERS: Readonly<Record<string, number>> = {
  "": 1,
  K: KIB,
  M: KIB ** 2,
  G: KIB ** 3,
  T: KIB ** 4,
};

const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?$/;

/** Parses a size; `field` names the option in the error, e.g. "--bpsz". */
export function parseSize(text: string | number, field = "size"): number {
  if (typeof text === "number") return checkWhole(text, String(text), field);
  const match = SIZE_PATTERN.exec(String(text).trim().toUpperCase());
  if (!match) {
    throw new StorageError(
      "STORAGE_INVALID_SIZE",
      field,
      `${field} must be a size like 4096, 128K, 64M or 1G (binary units), got ${JSON.stringify(text)}`,
    );
  }
  const [, digits = "", unit = ""] = match;
  const multiplier = UNIT_MULTIPLIERS[unit] ?? 1;
  return checkWhole(Number(digits) * multiplier, text, field);
}

function checkWhole(bytes: number, shown: string, field: string): number {
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new StorageError(
      "STORAGE_INVALID_SIZE",
      field,
      `${field} must be a whole number of bytes from 0 to ${Number.MAX_SAFE_INTEGER}, got ${JSON.stringify(shown)}`,
    );
  }
  return bytes;
}

/** "1 GiB", "128 KiB", "4097 B": the largest binary unit that divides the size exactly. */
export function formatSize(bytes: number): string {
  const units: [string, number][] = [
    ["TiB", KIB ** 4],
    ["GiB", KIB ** 3],
    ["MiB", KIB ** 2],
    ["KiB", KIB],
  ];
  for (const [name, unit] of units) {
    if (bytes >= unit && bytes % unit === 0) return `${bytes / unit} ${name}`;
  }
  return `${bytes} B`;
}
