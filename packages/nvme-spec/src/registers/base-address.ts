import { checkU64 } from "../bits.js";
import { alignmentError } from "../errors.js";

/**
 * ASQ, ACQ and BPMBL share one shape: bits 63:12 hold a 4 KiB aligned host address and bits 11:0
 * are reserved (Base 2.1 §3.1.4.9, §3.1.4.10, Fig. 51). Decoding drops the reserved bits (a
 * write to them is ignored and they read as 0, MC-4); encoding refuses an unaligned address
 * instead of rounding it.
 */

/** Alignment of a property base address, in bytes: 4 KiB (bits 11:0 reserved). */
export const BASE_ADDRESS_ALIGNMENT_BYTES = 4096;
const RESERVED_LOW_BITS = BigInt(BASE_ADDRESS_ALIGNMENT_BYTES - 1);

export function decodeBaseAddress(register: string, value: bigint): bigint {
  return checkU64(register, value) & ~RESERVED_LOW_BITS;
}

export function encodeBaseAddress(field: string, address: bigint): bigint {
  checkU64(field, address);
  if ((address & RESERVED_LOW_BITS) !== 0n)
    throw alignmentError(field, address, BASE_ADDRESS_ALIGNMENT_BYTES);
  return address;
}

/** ASQ: Admin Submission Queue Base Address, offset 28h (§3.1.4.9). */
export type Asq = {
  /** bits 63:12 ASQB: admin SQ base, a byte address, 4 KiB aligned (§3.1.4.9) */
  asqb: bigint;
};

/** ACQ: Admin Completion Queue Base Address, offset 30h (§3.1.4.10). */
export type Acq = {
  /** bits 63:12 ACQB: admin CQ base, a byte address, 4 KiB aligned (§3.1.4.10) */
  acqb: bigint;
};

export function decodeAsq(value: bigint): Asq {
  return { asqb: decodeBaseAddress("ASQ", value) };
}

export function encodeAsq(fields: Asq): bigint {
  return encodeBaseAddress("ASQ.ASQB", fields.asqb);
}

export function decodeAcq(value: bigint): Acq {
  return { acqb: decodeBaseAddress("ACQ", value) };
}

export function encodeAcq(fields: Acq): bigint {
  return encodeBaseAddress("ACQ.ACQB", fields.acqb);
}
