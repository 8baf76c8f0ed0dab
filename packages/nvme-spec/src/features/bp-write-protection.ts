import { type BpId, bpName } from "../boot-partition-ids.js";
import { reservedValueError } from "../errors.js";
import { binarySpec } from "../format.js";
import { dwordCodec, type Fields, uint } from "../layout.js";

/**
 * FID 85h, Boot Partition Write Protection Config (Base 2.1 §5.1.25.1.32;
 * docs/spec/boot-partitions.md §4, §7).
 * Set Features CDW11 and Get Features completion DW0 share this layout; bits 31:6 are reserved
 * and ignored (MC-32).
 */
export const BP_WRITE_PROTECTION_LAYOUT = Object.freeze({
  /** bits 2:0 BP0WPS: Boot Partition 0 write protection state, see BpWriteProtectionState */
  bp0: uint(2, 0),
  /** bits 5:3 BP1WPS: Boot Partition 1 write protection state, see BpWriteProtectionState */
  bp1: uint(5, 3),
});
export const bpWriteProtectionCodec = dwordCodec("BPWPC", BP_WRITE_PROTECTION_LAYOUT);

/** BPxWPS values (docs/spec/boot-partitions.md §4.2). 101b-111b are reserved. */
export const BpWriteProtectionState = Object.freeze({
  /** 000b: Set only, leave this BP as it is; never returned by Get */
  NoChange: 0b000,
  /** 001b: the BP may be modified; becomes Write Locked on power cycle */
  WriteUnlocked: 0b001,
  /** 010b: the BP may not be modified; the power-up default */
  WriteLocked: 0b010,
  /** 011b: locked until the next power cycle, then Write Locked; no Set leaves it */
  WriteLockedUntilPowerCycle: 0b011,
  /** 100b: Get only, protection is controlled by RPMB; a Set of 100b is Invalid Field */
  RpmbControlled: 0b100,
});
export type BpWriteProtectionStateValue =
  (typeof BpWriteProtectionState)[keyof typeof BpWriteProtectionState];

/** Largest BPxWPS value that is not reserved. */
export const BPWPS_MAX_DEFINED = BpWriteProtectionState.RpmbControlled;

const STATE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [BpWriteProtectionState.NoChange]: "Change in state not requested",
  [BpWriteProtectionState.WriteUnlocked]: "Write Unlocked",
  [BpWriteProtectionState.WriteLocked]: "Write Locked",
  [BpWriteProtectionState.WriteLockedUntilPowerCycle]: "Write Locked Until Power Cycle",
  [BpWriteProtectionState.RpmbControlled]: "Write Protection controlled by RPMB",
});

/** "010b": a BPxWPS value written as the spec writes it, three binary digits. */
export function formatBpwps(value: number): string {
  return binarySpec(value, BP_WRITE_PROTECTION_LAYOUT.bp0.width);
}

/** The spec name of a BPxWPS value; reserved values print as "Reserved (101b)". */
export function bpWriteProtectionStateName(value: number): string {
  return STATE_NAMES[value] ?? `Reserved (${formatBpwps(value)})`;
}

export function isReservedBpWriteProtectionState(value: number): boolean {
  return value > BPWPS_MAX_DEFINED;
}

/**
 * Whether a Set Features CDW11 field asks for something a Set may ask for: 000b (no change) to
 * 011b. 100b is Get-only and 101b-111b are reserved; both are Invalid Field (MC-30 step 2).
 */
export function isValidBpWriteProtectionSetValue(value: number): boolean {
  return value <= BpWriteProtectionState.WriteLockedUntilPowerCycle;
}

export type BpWriteProtection = { bp0: BpWriteProtectionStateValue; bp1: BpWriteProtectionStateValue };
/** Raw 3-bit fields, possibly reserved: what a controller needs to answer Invalid Field (MC-30). */
export type BpWriteProtectionRaw = Fields<typeof BP_WRITE_PROTECTION_LAYOUT>;

function checkDefined(field: string, value: number): void {
  if (isReservedBpWriteProtectionState(value)) {
    throw reservedValueError(field, value, "BPxWPS 101b-111b are reserved");
  }
}

/** CDW11 (Set) or DW0 (Get) for two states; rejects 101b-111b. */
export function encodeBpWriteProtection(states: { bp0: number; bp1: number }): number {
  const value = bpWriteProtectionCodec.encode(states);
  checkDefined("BPWPC.BP0WPS", states.bp0);
  checkDefined("BPWPC.BP1WPS", states.bp1);
  return value;
}

/** Both states of a dword; a reserved field raises RESERVED_VALUE naming the field. */
export function decodeBpWriteProtection(dword: number): BpWriteProtection {
  const raw = bpWriteProtectionCodec.decode(dword);
  checkDefined("BPWPC.BP0WPS", raw.bp0);
  checkDefined("BPWPC.BP1WPS", raw.bp1);
  return raw as BpWriteProtection;
}

/**
 * The FID 85h fields that put one BP in `state` and send 000b (no change) for the other, as a
 * correct host does: sending the other BP's current state instead fails when that BP is in Write
 * Locked Until Power Cycle or RPMB mode (docs/spec/boot-partitions.md §8.2).
 */
export function bpWriteProtectionForOne(bpid: BpId, state: number): BpWriteProtectionRaw {
  const fields = {
    bp0: BpWriteProtectionState.NoChange as number,
    bp1: BpWriteProtectionState.NoChange as number,
  };
  fields[bpName(bpid)] = state;
  return fields;
}

/** "BP0=Write Unlocked, BP1=Write Locked", for traces and describe(). */
export function formatBpWriteProtection(dword: number): string {
  const { bp0, bp1 } = bpWriteProtectionCodec.decode(dword);
  return `BP0=${bpWriteProtectionStateName(bp0)}, BP1=${bpWriteProtectionStateName(bp1)}`;
}
