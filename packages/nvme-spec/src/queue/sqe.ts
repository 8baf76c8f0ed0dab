import { readBits } from "../bits.js";
import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { dwordCodec, type Fields, uint } from "../layout.js";

/** Size of a submission queue entry in bytes (Base 2.1 §4.1, Fig. 91). */
export const SQE_SIZE = 64;
/** log2(SQE_SIZE): the value of CC.IOSQES and Identify SQES for 64-byte entries. */
export const SQE_SIZE_LOG2 = 6;

/** Command Dword 0 (§4.1, Fig. 92). */
export const CDW0_LAYOUT = Object.freeze({
  /** bits 7:0 OPC: opcode (§4.1) */
  opcode: uint(7, 0),
  /** bits 9:8 FUSE: fused operation, 00b normal (§4.1) */
  fuse: uint(9, 8),
  /** bits 15:14 PSDT: PRP or SGL for data transfer, 00b PRPs (§4.1) */
  psdt: uint(15, 14),
  /** bits 31:16 CID: command identifier, unique per SQ (§4.1) */
  cid: uint(31, 16),
});
export type Cdw0 = Fields<typeof CDW0_LAYOUT>;
export const cdw0Codec = dwordCodec("CDW0", CDW0_LAYOUT);

/** Byte offsets inside an SQE (§4.1, Fig. 91). */
export const SqeOffset = Object.freeze({
  /** bytes 3:0 CDW0 */
  CDW0: 0,
  /** bytes 7:4 NSID: namespace identifier */
  NSID: 4,
  /** bytes 11:8 CDW2 */
  CDW2: 8,
  /** bytes 15:12 CDW3 */
  CDW3: 12,
  /** bytes 23:16 MPTR: metadata pointer */
  MPTR: 16,
  /** bytes 31:24 DPTR PRP entry 1 */
  PRP1: 24,
  /** bytes 39:32 DPTR PRP entry 2 */
  PRP2: 32,
  /** bytes 43:40 CDW10; CDW11-15 follow at 4-byte steps */
  CDW10: 40,
});

/** PSDT values (§4.1). */
export const Psdt = Object.freeze({ Prp: 0b00, SglMetadataBuffer: 0b01, SglMetadataSegment: 0b10 });
/** FUSE values (§4.1). */
export const Fuse = Object.freeze({ Normal: 0b00, FirstCommand: 0b01, SecondCommand: 0b10 });

/** A submission queue entry. Dwords are unsigned 32-bit numbers; 64-bit pointers are bigints. */
export type SubmissionQueueEntry = {
  /** CDW0 bits 7:0 OPC */
  opcode: number;
  /** CDW0 bits 9:8 FUSE */
  fuse: number;
  /** CDW0 bits 15:14 PSDT */
  psdt: number;
  /** CDW0 bits 31:16 CID */
  cid: number;
  /** CDW1 NSID */
  nsid: number;
  /** CDW2, command specific */
  cdw2: number;
  /** CDW3, command specific */
  cdw3: number;
  /** CDW5:4 MPTR */
  mptr: bigint;
  /** CDW7:6 PRP1 (DPTR bits 63:0) */
  prp1: bigint;
  /** CDW9:8 PRP2 (DPTR bits 127:64) */
  prp2: bigint;
  cdw10: number;
  cdw11: number;
  cdw12: number;
  cdw13: number;
  cdw14: number;
  cdw15: number;
};

const COMMAND_DWORDS = ["cdw10", "cdw11", "cdw12", "cdw13", "cdw14", "cdw15"] as const;
const COMMAND_DWORD_FIELDS = COMMAND_DWORDS.map((name) => `SQE.${name.toUpperCase()}`);
const DWORD_BYTES = 4;

/** An all-zero SQE for `opcode`, the starting point of every builder. */
export function emptySqe(opcode = 0, cid = 0): SubmissionQueueEntry {
  return {
    opcode,
    fuse: 0,
    psdt: 0,
    cid,
    nsid: 0,
    cdw2: 0,
    cdw3: 0,
    mptr: 0n,
    prp1: 0n,
    prp2: 0n,
    cdw10: 0,
    cdw11: 0,
    cdw12: 0,
    cdw13: 0,
    cdw14: 0,
    cdw15: 0,
  };
}

export function encodeSqe(sqe: SubmissionQueueEntry): Uint8Array {
  return writeSqe(sqe, new BufferWriter(SQE_SIZE));
}

/**
 * An encoder that writes each entry into one reused 64-byte buffer and returns that buffer: a
 * host that submits many commands allocates nothing per command. Each call writes every byte, so
 * nothing of the previous entry is left; the bytes are valid until the next call.
 */
export function createSqeEncoder(): (sqe: SubmissionQueueEntry) => Uint8Array {
  const writer = new BufferWriter(SQE_SIZE);
  return (sqe) => writeSqe(sqe, writer);
}

function writeSqe(sqe: SubmissionQueueEntry, writer: BufferWriter): Uint8Array {
  writer
    .u32(SqeOffset.CDW0, "SQE.CDW0", cdw0Codec.encode(sqe))
    .u32(SqeOffset.NSID, "SQE.NSID", sqe.nsid)
    .u32(SqeOffset.CDW2, "SQE.CDW2", sqe.cdw2)
    .u32(SqeOffset.CDW3, "SQE.CDW3", sqe.cdw3)
    .u64(SqeOffset.MPTR, "SQE.MPTR", sqe.mptr)
    .u64(SqeOffset.PRP1, "SQE.PRP1", sqe.prp1)
    .u64(SqeOffset.PRP2, "SQE.PRP2", sqe.prp2);
  for (let index = 0; index < COMMAND_DWORDS.length; index++) {
    writer.u32(
      SqeOffset.CDW10 + index * DWORD_BYTES,
      COMMAND_DWORD_FIELDS[index]!,
      sqe[COMMAND_DWORDS[index]!],
    );
  }
  return writer.bytes;
}

/** Decodes the first 64 bytes of `bytes`; CDW0 bits 13:10 are reserved and ignored. */
export function decodeSqe(bytes: Uint8Array): SubmissionQueueEntry {
  const reader = new BufferReader(bytes, "SQE", SQE_SIZE);
  const cdw0 = reader.u32(SqeOffset.CDW0);
  // Built as one literal (no spread, no closures): this runs once per fetched command.
  return {
    opcode: readBits(cdw0, CDW0_LAYOUT.opcode),
    fuse: readBits(cdw0, CDW0_LAYOUT.fuse),
    psdt: readBits(cdw0, CDW0_LAYOUT.psdt),
    cid: readBits(cdw0, CDW0_LAYOUT.cid),
    nsid: reader.u32(SqeOffset.NSID),
    cdw2: reader.u32(SqeOffset.CDW2),
    cdw3: reader.u32(SqeOffset.CDW3),
    mptr: reader.u64(SqeOffset.MPTR),
    prp1: reader.u64(SqeOffset.PRP1),
    prp2: reader.u64(SqeOffset.PRP2),
    cdw10: reader.u32(SqeOffset.CDW10),
    cdw11: reader.u32(SqeOffset.CDW10 + DWORD_BYTES),
    cdw12: reader.u32(SqeOffset.CDW10 + 2 * DWORD_BYTES),
    cdw13: reader.u32(SqeOffset.CDW10 + 3 * DWORD_BYTES),
    cdw14: reader.u32(SqeOffset.CDW10 + 4 * DWORD_BYTES),
    cdw15: reader.u32(SqeOffset.CDW10 + 5 * DWORD_BYTES),
  };
}
