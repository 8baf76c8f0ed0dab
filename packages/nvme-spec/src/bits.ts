import { fieldRangeError } from "./errors.js";

/**
 * A bit range written the way the spec writes it ("29:10" is `bitRange(29, 10)`), so a field
 * table in this package can be checked against the spec figure line by line.
 */
export interface BitRange {
  readonly msb: number;
  readonly lsb: number;
  readonly width: number;
  /** Largest value the field holds. */
  readonly max: number;
}

export function bitRange(msb: number, lsb: number): BitRange {
  const width = msb - lsb + 1;
  return Object.freeze({ msb, lsb, width, max: 2 ** width - 1 });
}

export function bit(position: number): BitRange {
  return bitRange(position, position);
}

/** Largest value of an unsigned 32-bit dword. */
export const U32_MAX = 0xffff_ffff;
/** Largest value of an unsigned 16-bit word. */
export const U16_MAX = 0xffff;
/** Largest value of a byte. */
export const U8_MAX = 0xff;
/** Largest value of an unsigned 64-bit quadword. */
export const U64_MAX = 0xffff_ffff_ffff_ffffn;

/** Throws unless `value` is an integer in 0..max; returns it so checks can be inlined. */
export function checkUint(field: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw fieldRangeError(field, value, max);
  return value;
}

export function checkU32(field: string, value: number): number {
  return checkUint(field, value, U32_MAX);
}

/** Smallest signed 32-bit integer: what `x | (1 << 31)` style JS bit arithmetic produces. */
const INT32_MIN = -0x8000_0000;

/**
 * A dword for decoding: an unsigned 32-bit value, or a signed int32 (the result of JS bitwise
 * operators), which is the same 32 bits and is reinterpreted as unsigned. Anything else throws.
 */
export function toU32(field: string, value: number): number {
  if (Number.isInteger(value) && value < 0 && value >= INT32_MIN) return value >>> 0;
  return checkU32(field, value);
}

export function checkU64(field: string, value: bigint): bigint {
  if (typeof value !== "bigint" || value < 0n || value > U64_MAX)
    throw fieldRangeError(field, value, U64_MAX);
  return value;
}

/** Reads a field of a 32-bit value. */
export function readBits(value: number, range: BitRange): number {
  return ((value >>> range.lsb) & range.max) >>> 0;
}

/**
 * Places a field in a 32-bit value after checking it fits. The result is a non-negative number
 * (never a negative int32), so fields of one register are combined with `+`.
 */
export function writeBits(field: string, value: number, range: BitRange): number {
  return checkUint(field, value, range.max) * 2 ** range.lsb;
}

/** Reads a field (at most 32 bits wide) of a 64-bit value. */
export function readBits64(value: bigint, range: BitRange): number {
  return Number((value >> BigInt(range.lsb)) & BigInt(range.max));
}

export function writeBits64(field: string, value: number, range: BitRange): bigint {
  return BigInt(checkUint(field, value, range.max)) << BigInt(range.lsb);
}
