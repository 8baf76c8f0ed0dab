import { bitRange, checkUint, readBits, U16_MAX, writeBits } from "../bits.js";
import { CAP_DSTRD_MAX } from "./cap.js";
import { DWORD_BYTES, RegisterOffset } from "./offsets.js";

/**
 * Doorbells (Base 2.1 §3.1.4.20-21): SQ y Tail Doorbell at 1000h + (2y) * (4 << CAP.DSTRD),
 * CQ y Head Doorbell at 1000h + (2y + 1) * (4 << CAP.DSTRD).
 */

/** Highest queue identifier (QID is 16 bits; queue 0 is the admin queue). */
export const QID_MAX = U16_MAX;

/** SQT / CQH: bits 15:0 of a doorbell write, an index into the queue; bits 31:16 reserved. */
export const DoorbellField = Object.freeze({
  /** bits 15:0: new SQ tail or CQ head, in entries */
  VALUE: bitRange(15, 0),
});

/** Distance in bytes between two consecutive doorbells for a given CAP.DSTRD. */
export function doorbellStrideBytes(dstrd: number): number {
  return DWORD_BYTES << checkUint("CAP.DSTRD", dstrd, CAP_DSTRD_MAX);
}

export function sqTailDoorbellOffset(qid: number, dstrd: number): number {
  return RegisterOffset.DOORBELL_BASE + 2 * checkUint("QID", qid, QID_MAX) * doorbellStrideBytes(dstrd);
}

export function cqHeadDoorbellOffset(qid: number, dstrd: number): number {
  return RegisterOffset.DOORBELL_BASE + (2 * checkUint("QID", qid, QID_MAX) + 1) * doorbellStrideBytes(dstrd);
}

export type DoorbellTarget = { readonly kind: "sq-tail" | "cq-head"; readonly qid: number };

/**
 * Which doorbell a BAR0 offset hits, or undefined when the offset is below the doorbells or falls
 * between two of them (possible when DSTRD > 0).
 */
export function decodeDoorbellOffset(offset: number, dstrd: number): DoorbellTarget | undefined {
  const stride = doorbellStrideBytes(dstrd);
  const relative = offset - RegisterOffset.DOORBELL_BASE;
  if (relative < 0 || relative % stride !== 0) return undefined;
  const index = relative / stride;
  const qid = Math.floor(index / 2);
  if (qid > QID_MAX) return undefined;
  return { kind: index % 2 === 0 ? "sq-tail" : "cq-head", qid };
}

/** The queue index a doorbell write carries; reserved bits 31:16 are ignored. */
export function decodeDoorbellValue(value: number): number {
  return readBits(value, DoorbellField.VALUE);
}

export function encodeDoorbellValue(index: number): number {
  return writeBits("doorbell value", index, DoorbellField.VALUE);
}
