import { checkUint } from "../bits.js";
import { dwordCodec, type Fields, uint } from "../layout.js";

/** BPINFO: Boot Partition Information, offset 40h, 32-bit, read-only (Base 2.1 Fig. 49). */
export const BPINFO_LAYOUT = Object.freeze({
  /** bits 14:0 BPSZ: size of each Boot Partition, 128 KiB units (Fig. 49) */
  bpsz: uint(14, 0),
  /** bits 25:24 BRS: boot read status, see BootReadStatus; resets to 00b (Fig. 49) */
  brs: uint(25, 24),
  /** bit 31 ABPID: active Boot Partition ID, 0 or 1, nonvolatile (Fig. 49) */
  abpid: uint(31, 31),
});

export type Bpinfo = Fields<typeof BPINFO_LAYOUT>;

export const bpinfoCodec = dwordCodec("BPINFO", BPINFO_LAYOUT);

/** Unit of BPSZ: each Boot Partition is BPSZ x 128 KiB. */
export const BOOT_PARTITION_UNIT_BYTES = 131072;
/** Largest BPSZ: 15 bits, just under 4 GiB per Boot Partition. */
export const BPSZ_MAX = 0x7fff;

/** BPINFO.BRS values (Fig. 49). */
export const BootReadStatus = Object.freeze({
  /** 00b: no Boot Partition read operation requested */
  None: 0,
  /** 01b: a read is in progress */
  Reading: 1,
  /** 10b: the read completed successfully */
  Success: 2,
  /** 11b: error completing the read; the buffer contents are undefined */
  Error: 3,
});
export type BootReadStatusValue = (typeof BootReadStatus)[keyof typeof BootReadStatus];

/** Number of Boot Partitions a controller has when CAP.BPS = 1 (BP0 and BP1). */
export const BOOT_PARTITION_COUNT = 2;

/** Size in bytes of each Boot Partition for a BPSZ value. */
export function bootPartitionSizeBytes(bpsz: number): number {
  return checkUint("BPINFO.BPSZ", bpsz, BPSZ_MAX) * BOOT_PARTITION_UNIT_BYTES;
}
