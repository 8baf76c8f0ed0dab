import { checkU32, checkU64, checkUint, U16_MAX } from "../bits.js";
import { alignmentError, NvmeSpecError, reservedValueError } from "../errors.js";
import { emptySqe, type SubmissionQueueEntry } from "../queue/sqe.js";

/**
 * What every builder accepts besides its own fields. Builders check that each value fits its
 * field and reject values the spec reserves; rules that depend on controller state (FWUG
 * granularity, log size, queue limits) are the controller's to check, so a test can still send
 * them. For deliberately malformed commands, start from a builder and overwrite a dword with a
 * layout codec's encode(), which only checks field widths.
 */
export type CommandCommon = {
  /** CDW0 bits 31:16 CID; defaults to 0 */
  cid?: number;
};

/** A data pointer for commands that transfer data (PRP entries; PSDT = 00b). */
export type DataPointer = {
  /** DPTR PRP entry 1: the first page of the buffer */
  prp1: bigint;
  /** DPTR PRP entry 2: the second page or a PRP list; 0 when the buffer fits one page */
  prp2?: bigint;
};

/**
 * The DPTR dwords of a data-transfer command: an absent PRP entry is 0 (PRP2 when the buffer fits
 * one page, both for a Get/Set Features without a data buffer).
 */
export function prpDwords(pointer: Partial<DataPointer>): { prp1: bigint; prp2: bigint } {
  return { prp1: pointer.prp1 ?? 0n, prp2: pointer.prp2 ?? 0n };
}

export type CommandDwords = Partial<
  Pick<
    SubmissionQueueEntry,
    "nsid" | "cdw2" | "cdw3" | "cdw10" | "cdw11" | "cdw12" | "cdw13" | "cdw14" | "cdw15" | "prp1" | "prp2"
  >
>;

const DWORD_FIELD_NAMES: Readonly<Record<keyof CommandDwords, string>> = Object.freeze({
  nsid: "NSID",
  cdw2: "CDW2",
  cdw3: "CDW3",
  cdw10: "CDW10",
  cdw11: "CDW11",
  cdw12: "CDW12",
  cdw13: "CDW13",
  cdw14: "CDW14",
  cdw15: "CDW15",
  prp1: "PRP1",
  prp2: "PRP2",
});

/** Builds an SQE from an opcode, the common options and the command's encoded dwords. */
export function commandSqe(
  opcode: number,
  common: CommandCommon,
  dwords: CommandDwords,
): SubmissionQueueEntry {
  const sqe = emptySqe(opcode, checkUint("CID", common.cid ?? 0, U16_MAX));
  for (const name in dwords) {
    const key = name as keyof CommandDwords;
    const value = dwords[key];
    if (value === undefined) continue;
    if (typeof value === "bigint") checkU64(DWORD_FIELD_NAMES[key], value);
    else checkU32(DWORD_FIELD_NAMES[key], value);
    (sqe as Record<string, number | bigint>)[key] = value;
  }
  return sqe;
}

/** The fields every parser returns alongside its own. */
export type ParsedCommon = { cid: number; nsid: number; prp1: bigint; prp2: bigint };

export function parsedCommon(sqe: SubmissionQueueEntry): ParsedCommon {
  return { cid: sqe.cid, nsid: sqe.nsid, prp1: sqe.prp1, prp2: sqe.prp2 };
}

/** Throws RESERVED_VALUE when `value` is one of the spec's reserved codes for `field`. */
export function rejectReserved(field: string, value: number, isReserved: boolean, rule: string): void {
  if (isReserved) throw reservedValueError(field, value, rule);
}

/** Bytes in a dword: NUMD and OFST count dwords. */
export const DWORD_SIZE_BYTES = 4;

/** Byte length of a 0's based dword count (NUMD). */
export function numdToBytes(numd: number): number {
  return (numd + 1) * DWORD_SIZE_BYTES;
}

/**
 * The 0's based NUMD for a transfer of `bytes` bytes. Transfers are whole dwords, so a length
 * that is not a multiple of 4 is refused rather than rounded.
 */
export function numdForBytes(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < DWORD_SIZE_BYTES) {
    throw new NvmeSpecError(
      "FIELD_RANGE",
      "transfer length",
      DWORD_SIZE_BYTES,
      `transfer length must be at least ${DWORD_SIZE_BYTES} bytes, got ${bytes}`,
    );
  }
  if (bytes % DWORD_SIZE_BYTES !== 0) throw alignmentError("transfer length", bytes, DWORD_SIZE_BYTES);
  return checkU32("NUMD", bytes / DWORD_SIZE_BYTES - 1);
}
