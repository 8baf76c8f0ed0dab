import { readBits } from "../bits.js";
import { BufferReader } from "../buffer-reader.js";
import { BufferWriter } from "../buffer-writer.js";
import { bufferSizeError } from "../errors.js";
import { dwordCodec, type Fields, uint } from "../layout.js";
import { type NvmeStatus, statusFieldCodec } from "../status.js";

/** Size of a completion queue entry in bytes (Base 2.1 §4.2, Fig. 95). */
export const CQE_SIZE = 16;
/** log2(CQE_SIZE): the value of CC.IOCQES and Identify CQES for 16-byte entries. */
export const CQE_SIZE_LOG2 = 4;

/** CQE Dword 2 (§4.2, Fig. 97). */
export const CQE_DW2_LAYOUT = Object.freeze({
  /** bits 15:0 SQHD: SQ head pointer, entries (§4.2) */
  sqhd: uint(15, 0),
  /** bits 31:16 SQID: submission queue the command came from (§4.2) */
  sqid: uint(31, 16),
});
export const cqeDw2Codec = dwordCodec("CQE.DW2", CQE_DW2_LAYOUT);

/** CQE Dword 3 (§4.2, Fig. 98). */
export const CQE_DW3_LAYOUT = Object.freeze({
  /** bits 15:0 CID: command identifier (§4.2) */
  cid: uint(15, 0),
  /** bit 16 P: phase tag, inverted on each pass through the queue (§4.2) */
  phase: uint(16, 16),
  /** bits 31:17 STATUS: the 15-bit status field, see STATUS_FIELD_LAYOUT (§4.2.3) */
  status: uint(31, 17),
});
export const cqeDw3Codec = dwordCodec("CQE.DW3", CQE_DW3_LAYOUT);
type CqeDw3 = Fields<typeof CQE_DW3_LAYOUT>;

/** Byte offsets inside a CQE (§4.2). */
export const CqeOffset = Object.freeze({ DW0: 0, DW1: 4, DW2: 8, DW3: 12 });

export type CompletionQueueEntry = {
  /** DW0: command specific result */
  dw0: number;
  /** DW1: command specific result */
  dw1: number;
  /** DW2 bits 15:0 SQHD */
  sqhd: number;
  /** DW2 bits 31:16 SQID */
  sqid: number;
  /** DW3 bits 15:0 CID */
  cid: number;
  /** DW3 bit 16 P */
  phase: 0 | 1;
  /** DW3 bits 31:17 status field */
  status: NvmeStatus;
};

export function encodeCqe(cqe: CompletionQueueEntry): Uint8Array {
  const dw3: CqeDw3 = { cid: cqe.cid, phase: cqe.phase, status: statusFieldCodec.encode(cqe.status) };
  return new BufferWriter(CQE_SIZE)
    .u32(CqeOffset.DW0, "CQE.DW0", cqe.dw0)
    .u32(CqeOffset.DW1, "CQE.DW1", cqe.dw1)
    .u32(CqeOffset.DW2, "CQE.DW2", cqeDw2Codec.encode({ sqhd: cqe.sqhd, sqid: cqe.sqid }))
    .u32(CqeOffset.DW3, "CQE.DW3", cqeDw3Codec.encode(dw3)).bytes;
}

export function decodeCqe(bytes: Uint8Array): CompletionQueueEntry {
  const reader = new BufferReader(bytes, "CQE", CQE_SIZE);
  const dw3 = cqeDw3Codec.decode(reader.u32(CqeOffset.DW3));
  const dw2 = reader.u32(CqeOffset.DW2);
  return {
    dw0: reader.u32(CqeOffset.DW0),
    dw1: reader.u32(CqeOffset.DW1),
    sqhd: readBits(dw2, CQE_DW2_LAYOUT.sqhd),
    sqid: readBits(dw2, CQE_DW2_LAYOUT.sqid),
    cid: dw3.cid,
    phase: dw3.phase === 1 ? 1 : 0,
    status: statusFieldCodec.decode(dw3.status),
  };
}

/** The phase tag alone, so a host can poll a CQ slot without decoding the whole entry. */
export function cqePhase(bytes: Uint8Array, offset = 0): 0 | 1 {
  if (bytes.length < offset + CQE_SIZE) throw bufferSizeError("CQE", bytes.length - offset, CQE_SIZE);
  // Read in place: a DataView over `bytes.buffer` would move a small on-heap array off the heap.
  const at = offset + CqeOffset.DW3;
  const dw3 = (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
  return readBits(dw3, CQE_DW3_LAYOUT.phase) === 1 ? 1 : 0;
}
