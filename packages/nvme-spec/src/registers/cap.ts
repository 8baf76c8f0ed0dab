import { type Fields, flag, qwordCodec, uint } from "../layout.js";

/** CAP: Controller Capabilities, offset 00h, 64-bit, read-only (Base 2.1 §3.1.4.1). */
export const CAP_LAYOUT = Object.freeze({
  /** bits 15:0 MQES: maximum individual queue size, entries, 0's based (§3.1.4.1) */
  mqes: uint(15, 0),
  /** bit 16 CQR: contiguous queues required (§3.1.4.1) */
  cqr: flag(16),
  /** bits 18:17 AMS: arbitration mechanisms supported, bit 17 WRR with urgent, bit 18 vendor (§3.1.4.1) */
  ams: uint(18, 17),
  /** bits 31:24 TO: worst-case time to CSTS.RDY change, 500 ms units (§3.1.4.1) */
  to: uint(31, 24),
  /** bits 35:32 DSTRD: doorbell stride, 2^(2+DSTRD) bytes (§3.1.4.1) */
  dstrd: uint(35, 32),
  /** bit 36 NSSRS: NVM Subsystem Reset supported (§3.1.4.1) */
  nssrs: flag(36),
  /** bits 44:37 CSS: command sets supported, bitmask of CapCss (§3.1.4.1) */
  css: uint(44, 37),
  /** bit 45 BPS: Boot Partition support (§3.1.4.1, §8.1.3) */
  bps: flag(45),
  /** bits 47:46 CPS: controller power scope (§3.1.4.1) */
  cps: uint(47, 46),
  /** bits 51:48 MPSMIN: minimum memory page size, 2^(12+MPSMIN) bytes (§3.1.4.1) */
  mpsmin: uint(51, 48),
  /** bits 55:52 MPSMAX: maximum memory page size, 2^(12+MPSMAX) bytes (§3.1.4.1) */
  mpsmax: uint(55, 52),
  /** bit 56 PMRS: persistent memory region supported (§3.1.4.1) */
  pmrs: flag(56),
  /** bit 57 CMBS: controller memory buffer supported (§3.1.4.1) */
  cmbs: flag(57),
  /** bit 58 NSSS: NVM subsystem shutdown supported (§3.1.4.1) */
  nsss: flag(58),
  /** bit 59 CRWMS: controller ready with media support (§3.1.4.1) */
  crwms: flag(59),
  /** bit 60 CRIMS: controller ready independent of media support (§3.1.4.1) */
  crims: flag(60),
  /** bit 61 NSSES: NVM subsystem shutdown enhancements supported (§3.1.4.1, 2.1) */
  nsses: flag(61),
});

export type Cap = Fields<typeof CAP_LAYOUT>;

export const capCodec = qwordCodec("CAP", CAP_LAYOUT);

/** Largest CAP.DSTRD: 4 bits. */
export const CAP_DSTRD_MAX = CAP_LAYOUT.dstrd.max;

/** CAP.CSS bits (§3.1.4.1). */
export const CapCss = Object.freeze({
  /** bit 37 (CSS bit 0) NCSS: NVM Command Set */
  Nvm: 0x01,
  /** bit 43 (CSS bit 6) IOCSS: one or more I/O Command Sets */
  IoCommandSets: 0x40,
  /** bit 44 (CSS bit 7) NOIOCSS: no I/O Command Set (admin only) */
  NoIoCommandSet: 0x80,
});

/** Unit of CAP.TO, in milliseconds. */
export const CAP_TO_UNIT_MS = 500;

/** log2 of the smallest memory page size; MPS fields add to this exponent (§3.1.4.1, §3.1.4.5). */
export const MEMORY_PAGE_SIZE_SHIFT = 12;

/** Bytes in a memory page for an MPSMIN / MPSMAX / CC.MPS value. */
export function memoryPageSizeBytes(mps: number): number {
  return 2 ** (MEMORY_PAGE_SIZE_SHIFT + mps);
}
