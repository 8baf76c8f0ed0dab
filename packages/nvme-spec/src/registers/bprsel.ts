import { dwordCodec, type Fields, uint } from "../layout.js";
import { bootPartitionSizeBytes } from "./bpinfo.js";

/** BPRSEL: Boot Partition Read Select, offset 44h, 32-bit, read-write (Base 2.1 Fig. 50). */
export const BPRSEL_LAYOUT = Object.freeze({
  /** bits 9:0 BPRSZ: read size, 4 KiB units, NOT 0's based (Fig. 50) */
  bprsz: uint(9, 0),
  /** bits 29:10 BPROF: read offset into the Boot Partition, 4 KiB units (Fig. 50) */
  bprof: uint(29, 10),
  /** bit 31 BPID: which Boot Partition to read, independent of ABPID (Fig. 50) */
  bpid: uint(31, 31),
});

export type Bprsel = Fields<typeof BPRSEL_LAYOUT>;

export const bprselCodec = dwordCodec("BPRSEL", BPRSEL_LAYOUT);

/** Unit of BPRSZ and BPROF: 4 KiB. */
export const BPRSEL_UNIT_BYTES = 4096;

/** The byte range a BPRSEL value asks for. */
export function bprselByteRange(bprsel: Bprsel): { offsetBytes: number; lengthBytes: number } {
  return { offsetBytes: bprsel.bprof * BPRSEL_UNIT_BYTES, lengthBytes: bprsel.bprsz * BPRSEL_UNIT_BYTES };
}

/**
 * Whether the read fits the Boot Partition: BPROF*4K + BPRSZ*4K <= BPSZ*128K (Fig. 50). A read
 * that does not fit transfers nothing and ends with BRS=11b (MC-2).
 */
export function isBprselInRange(bprsel: Bprsel, bpsz: number): boolean {
  const { offsetBytes, lengthBytes } = bprselByteRange(bprsel);
  return offsetBytes + lengthBytes <= bootPartitionSizeBytes(bpsz);
}
