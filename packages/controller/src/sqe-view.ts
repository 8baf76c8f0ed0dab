import { CDW0_LAYOUT, SQE_SIZE, SqeOffset, type SubmissionQueueEntry } from "@bplab/nvme-spec";

const DWORD_BYTES = 4;
const CDW11 = SqeOffset.CDW10 + DWORD_BYTES;
const CDW12 = SqeOffset.CDW10 + 2 * DWORD_BYTES;
const CDW13 = SqeOffset.CDW10 + 3 * DWORD_BYTES;
const CDW14 = SqeOffset.CDW10 + 4 * DWORD_BYTES;
const CDW15 = SqeOffset.CDW10 + 5 * DWORD_BYTES;

/**
 * One field of a command dword, by its nvme-spec layout entry: what a handler on the hot path uses
 * instead of a codec's decode, which builds an object of every field.
 */
export function dwordField(dword: number, field: { readonly lsb: number; readonly max: number }): number {
  return ((dword >>> field.lsb) & field.max) >>> 0;
}

/**
 * A Submission Queue Entry read in place: one per queue engine, refilled for every fetched
 * command, each field decoded only when a handler asks for it (issue 13: no allocation per
 * command). `decodeSqe` builds a 16-field object with three bigints for every command, and a
 * Get Features reads four of them.
 *
 * The view is only valid while its command executes: the next fetch overwrites it. Nothing may
 * keep it (handlers keep `cid` and `sqid`, never the entry); `snapshot()` copies it when needed.
 */
export class SqeView implements SubmissionQueueEntry {
  /** The 64 bytes of the current entry; the engine fills it from host memory. */
  readonly bytes = new Uint8Array(SQE_SIZE);
  private readonly dwords = new DataView(this.bytes.buffer);

  private u32(offset: number): number {
    return this.dwords.getUint32(offset, true);
  }

  private u64(offset: number): bigint {
    return this.dwords.getBigUint64(offset, true);
  }

  get opcode(): number {
    return dwordField(this.u32(SqeOffset.CDW0), CDW0_LAYOUT.opcode);
  }
  get fuse(): number {
    return dwordField(this.u32(SqeOffset.CDW0), CDW0_LAYOUT.fuse);
  }
  get psdt(): number {
    return dwordField(this.u32(SqeOffset.CDW0), CDW0_LAYOUT.psdt);
  }
  get cid(): number {
    return dwordField(this.u32(SqeOffset.CDW0), CDW0_LAYOUT.cid);
  }
  get nsid(): number {
    return this.u32(SqeOffset.NSID);
  }
  get cdw2(): number {
    return this.u32(SqeOffset.CDW2);
  }
  get cdw3(): number {
    return this.u32(SqeOffset.CDW3);
  }
  get mptr(): bigint {
    return this.u64(SqeOffset.MPTR);
  }
  get prp1(): bigint {
    return this.u64(SqeOffset.PRP1);
  }
  get prp2(): bigint {
    return this.u64(SqeOffset.PRP2);
  }
  get cdw10(): number {
    return this.u32(SqeOffset.CDW10);
  }
  get cdw11(): number {
    return this.u32(CDW11);
  }
  get cdw12(): number {
    return this.u32(CDW12);
  }
  get cdw13(): number {
    return this.u32(CDW13);
  }
  get cdw14(): number {
    return this.u32(CDW14);
  }
  get cdw15(): number {
    return this.u32(CDW15);
  }

  /** A plain object with every field, for anything that must outlive the command. */
  snapshot(): SubmissionQueueEntry {
    return {
      opcode: this.opcode,
      fuse: this.fuse,
      psdt: this.psdt,
      cid: this.cid,
      nsid: this.nsid,
      cdw2: this.cdw2,
      cdw3: this.cdw3,
      mptr: this.mptr,
      prp1: this.prp1,
      prp2: this.prp2,
      cdw10: this.cdw10,
      cdw11: this.cdw11,
      cdw12: this.cdw12,
      cdw13: this.cdw13,
      cdw14: this.cdw14,
      cdw15: this.cdw15,
    };
  }
}
