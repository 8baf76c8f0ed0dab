import { dwordCodec, type Fields, flag, uint } from "../layout.js";

/** CSTS: Controller Status, offset 1Ch, 32-bit, read-only except NSSRO / PP (Base 2.1 §3.1.4.6). */
export const CSTS_LAYOUT = Object.freeze({
  /** bit 0 RDY: ready; follows CC.EN (§3.1.4.6) */
  rdy: flag(0),
  /** bit 1 CFS: controller fatal status (§3.1.4.6) */
  cfs: flag(1),
  /** bits 3:2 SHST: shutdown status, see ShutdownStatus (§3.1.4.6) */
  shst: uint(3, 2),
  /** bit 4 NSSRO: NVM Subsystem Reset occurred, RW1C (§3.1.4.6) */
  nssro: flag(4),
  /** bit 5 PP: processing paused (§3.1.4.6) */
  pp: flag(5),
  /** bit 6 ST: shutdown type, 1 = NVM subsystem shutdown (§3.1.4.6) */
  st: flag(6),
});

export type Csts = Fields<typeof CSTS_LAYOUT>;

export const cstsCodec = dwordCodec("CSTS", CSTS_LAYOUT);

/** CSTS.SHST values (§3.1.4.6). */
export const ShutdownStatus = Object.freeze({ Normal: 0b00, Occurring: 0b01, Complete: 0b10 });
