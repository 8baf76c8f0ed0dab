import { dwordCodec, type Fields, flag, uint } from "../layout.js";

/** CC: Controller Configuration, offset 14h, 32-bit, read-write (Base 2.1 §3.1.4.5). */
export const CC_LAYOUT = Object.freeze({
  /** bit 0 EN: enable; 1→0 is a Controller Level Reset (§3.1.4.5, §3.7.2) */
  en: flag(0),
  /** bits 6:4 CSS: I/O command set selected, see CcCss (§3.1.4.5) */
  css: uint(6, 4),
  /** bits 10:7 MPS: host memory page size, 2^(12+MPS) bytes (§3.1.4.5) */
  mps: uint(10, 7),
  /** bits 13:11 AMS: arbitration mechanism selected, see CcAms (§3.1.4.5) */
  ams: uint(13, 11),
  /** bits 15:14 SHN: shutdown notification, see ShutdownNotification (§3.1.4.5) */
  shn: uint(15, 14),
  /** bits 19:16 IOSQES: I/O SQ entry size, 2^n bytes (6 = 64 B) (§3.1.4.5) */
  iosqes: uint(19, 16),
  /** bits 23:20 IOCQES: I/O CQ entry size, 2^n bytes (4 = 16 B) (§3.1.4.5) */
  iocqes: uint(23, 20),
  /** bit 24 CRIME: controller ready independent of media enable (§3.1.4.5) */
  crime: flag(24),
});

export type Cc = Fields<typeof CC_LAYOUT>;

export const ccCodec = dwordCodec("CC", CC_LAYOUT);

/** CC.CSS values (§3.1.4.5). */
export const CcCss = Object.freeze({ Nvm: 0b000, AllSupportedIoCommandSets: 0b110, AdminOnly: 0b111 });
/** CC.AMS values (§3.1.4.5). */
export const CcAms = Object.freeze({
  RoundRobin: 0b000,
  WeightedRoundRobinUrgent: 0b001,
  VendorSpecific: 0b111,
});
/** CC.SHN values (§3.1.4.5). */
export const ShutdownNotification = Object.freeze({ None: 0b00, Normal: 0b01, Abrupt: 0b10 });
