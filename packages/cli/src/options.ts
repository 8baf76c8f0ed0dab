/**
 * Parsers for option values. Each throws CliUsageError naming the option and the rule, which the
 * CLI turns into exit code 2.
 */
import { parseSize, StorageError } from "@bplab/controller";
import { BOOT_PARTITION_UNIT_BYTES, type BpId, BpWriteProtectionState } from "@bplab/nvme-spec";
import { CliUsageError } from "./errors.js";

export function sizeOption(option: string): (value: string) => number {
  return (value) => {
    try {
      return parseSize(value, option);
    } catch (error) {
      if (error instanceof StorageError)
        throw new CliUsageError(option, error.message.replace(`${option} `, ""));
      throw error;
    }
  };
}

/** A BP size as BPSZ needs it: 128 KiB units, at least one. */
export function bpSizeOption(option: string): (value: string) => number {
  const parse = sizeOption(option);
  return (value) => {
    const bytes = parse(value);
    if (bytes === 0 || bytes % BOOT_PARTITION_UNIT_BYTES !== 0) {
      throw new CliUsageError(
        option,
        `must be a positive multiple of 128K (BPSZ counts 128 KiB units), got ${value}`,
      );
    }
    return bytes;
  };
}

export function bpidOption(option = "--bp"): (value: string) => BpId {
  return (value) => {
    if (value === "0" || value === "1") return Number(value) as BpId;
    throw new CliUsageError(option, `must be 0 or 1 (the Boot Partition), got ${JSON.stringify(value)}`);
  };
}

/** Lock states a Set Features 85h may ask for, by the names the CLI accepts. */
export const LOCK_STATE_NAMES: Readonly<Record<string, number>> = Object.freeze({
  unlocked: BpWriteProtectionState.WriteUnlocked,
  locked: BpWriteProtectionState.WriteLocked,
  "until-power-cycle": BpWriteProtectionState.WriteLockedUntilPowerCycle,
});

export function lockStateOption(option = "--set"): (value: string) => number {
  return (value) => {
    const state = LOCK_STATE_NAMES[value.toLowerCase()];
    if (state === undefined) {
      throw new CliUsageError(
        option,
        `must be one of ${Object.keys(LOCK_STATE_NAMES).join(", ")}, got ${JSON.stringify(value)}`,
      );
    }
    return state;
  };
}

export function choiceOption<T extends string>(option: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if ((choices as readonly string[]).includes(value)) return value as T;
    throw new CliUsageError(option, `must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}`);
  };
}

/** A positive whole number, e.g. --jobs. */
export function countOption(option: string): (value: string) => number {
  return (value) => {
    const count = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(count) || count < 1) {
      throw new CliUsageError(option, `must be a whole number of at least 1, got ${JSON.stringify(value)}`);
    }
    return count;
  };
}
