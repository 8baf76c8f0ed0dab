import { dwordCodec, type Fields, uint } from "../layout.js";

/** AQA: Admin Queue Attributes, offset 24h, 32-bit, read-write (Base 2.1 §3.1.4.8). */
export const AQA_LAYOUT = Object.freeze({
  /** bits 11:0 ASQS: admin SQ size, entries, 0's based (§3.1.4.8) */
  asqs: uint(11, 0),
  /** bits 27:16 ACQS: admin CQ size, entries, 0's based (§3.1.4.8) */
  acqs: uint(27, 16),
});

export type Aqa = Fields<typeof AQA_LAYOUT>;

export const aqaCodec = dwordCodec("AQA", AQA_LAYOUT);

/** Smallest legal admin queue: 2 entries, so ASQS/ACQS of 0 is invalid (§3.1.4.8). */
export const ADMIN_QUEUE_MIN_ENTRIES = 2;
/** Largest admin queue: 4096 entries (12-bit 0's based field). */
export const ADMIN_QUEUE_MAX_ENTRIES = 4096;
