import {
  buildCreateIoCq,
  buildCreateIoSq,
  buildIdentify,
  Cns,
  type CompletionQueueEntry,
  decodeIdentifyController,
  decodeNamespaceList,
  emptySqe,
  IDENTIFY_DATA_SIZE,
  NvmOpcode,
  type SubmissionQueueEntry,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { prpsFor } from "./flows.js";
import { createRig, PAGE, pattern, type Rig, sameBytes, statusOf } from "./harness.js";

/** NVM I/O on namespace 1 through an I/O queue pair: Read, Write, Flush, Write Zeroes, DSM. */

const LBA = 512;
const NAMESPACE_BYTES = 1024 * 1024;

function ioRig(config: Parameters<typeof createRig>[0] = {}): Rig {
  const rig = createRig({ namespaceSizeBytes: NAMESPACE_BYTES, ...config });
  rig.host.enable();
  const cq = rig.memory.alloc(PAGE);
  const sq = rig.memory.alloc(PAGE);
  expect(statusOf(rig.host.submit(buildCreateIoCq({ qid: 1, qsize: 15, prp1: cq })))).toBe("0h/00h");
  expect(statusOf(rig.host.submit(buildCreateIoSq({ qid: 1, qsize: 15, cqid: 1, prp1: sq })))).toBe("0h/00h");
  rig.host.trackIoQueue(1, sq, cq, 16);
  return rig;
}

function io(rig: Rig, sqe: SubmissionQueueEntry): CompletionQueueEntry {
  return rig.host.submit(sqe, 1);
}

function rw(opcode: number, slba: number, blocks: number, dptr: { prp1: bigint; prp2: bigint }, nsid = 1) {
  return { ...emptySqe(opcode), nsid, cdw10: slba, cdw11: 0, cdw12: blocks - 1, ...dptr };
}

describe("NVM I/O", () => {
  it("writes and reads back 8 KiB + 512 B through a PRP list", () => {
    const rig = ioRig();
    const data = pattern(17 * LBA, 3);
    const out = rig.memory.alloc(data.length + PAGE);
    rig.memory.write(out, data);
    expect(statusOf(io(rig, rw(NvmOpcode.Write, 8, 17, prpsFor(rig, out, data.length))))).toBe("0h/00h");
    const back = rig.memory.alloc(data.length + PAGE);
    expect(statusOf(io(rig, rw(NvmOpcode.Read, 8, 17, prpsFor(rig, back, data.length))))).toBe("0h/00h");
    expect(sameBytes(rig.memory.read(back, data.length), data)).toBe(true);
    const stored = new Uint8Array(data.length);
    rig.store.namespace.read(8 * LBA, stored);
    expect(sameBytes(stored, data)).toBe(true);
  });

  it("rejects LBAs past the end (0h/80h), a wrong NSID (0h/0Bh) and a transfer above MDTS (0h/02h)", () => {
    const rig = ioRig({ config: { mdts: 1 } });
    const buffer = rig.memory.alloc(4 * PAGE);
    const blocks = NAMESPACE_BYTES / LBA;
    expect(statusOf(io(rig, rw(NvmOpcode.Read, blocks - 1, 2, prpsFor(rig, buffer, 2 * LBA))))).toBe(
      "0h/80h",
    );
    expect(statusOf(io(rig, rw(NvmOpcode.Read, 0, 1, prpsFor(rig, buffer, LBA), 2)))).toBe("0h/0Bh");
    expect(statusOf(io(rig, rw(NvmOpcode.Read, 0, 24, prpsFor(rig, buffer, 24 * LBA))))).toBe("0h/02h");
  });

  it("Write Zeroes clears a range; Flush accepts NSID 1 and FFFFFFFFh", () => {
    const rig = ioRig();
    rig.store.namespace.write(0, new Uint8Array(4 * LBA).fill(7));
    expect(statusOf(io(rig, { ...emptySqe(NvmOpcode.WriteZeroes), nsid: 1, cdw10: 1, cdw12: 1 }))).toBe(
      "0h/00h",
    );
    const stored = new Uint8Array(4 * LBA);
    rig.store.namespace.read(0, stored);
    expect([stored[0], stored[LBA], stored[2 * LBA], stored[3 * LBA]]).toEqual([7, 0, 0, 7]);
    expect(statusOf(io(rig, { ...emptySqe(NvmOpcode.Flush), nsid: 1 }))).toBe("0h/00h");
    expect(statusOf(io(rig, { ...emptySqe(NvmOpcode.Flush), nsid: 0xffff_ffff }))).toBe("0h/00h");
    expect(statusOf(io(rig, { ...emptySqe(NvmOpcode.Flush), nsid: 5 }))).toBe("0h/0Bh");
  });

  it("Dataset Management with AD=1 deallocates (reads zero); a range past the end → 0h/80h", () => {
    const rig = ioRig();
    rig.store.namespace.write(0, new Uint8Array(8 * LBA).fill(9));
    const ranges = rig.memory.alloc(PAGE);
    const view = new DataView(new ArrayBuffer(32));
    view.setUint32(4, 2, true);
    view.setBigUint64(8, 2n, true);
    view.setUint32(16 + 4, 1, true);
    view.setBigUint64(16 + 8, 6n, true);
    rig.memory.write(ranges, new Uint8Array(view.buffer));
    const dsm = { ...emptySqe(NvmOpcode.DatasetManagement), nsid: 1, cdw10: 1, cdw11: 1 << 2, prp1: ranges };
    expect(statusOf(io(rig, dsm))).toBe("0h/00h");
    const stored = new Uint8Array(8 * LBA);
    rig.store.namespace.read(0, stored);
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((lba) => stored[lba * LBA])).toEqual([9, 9, 0, 0, 9, 9, 0, 9]);
    view.setBigUint64(8, BigInt(NAMESPACE_BYTES / LBA), true);
    rig.memory.write(ranges, new Uint8Array(view.buffer));
    expect(statusOf(io(rig, dsm))).toBe("0h/80h");
  });

  it("unknown I/O opcodes and admin opcodes on an I/O queue → Invalid Opcode", () => {
    const rig = ioRig();
    expect(statusOf(io(rig, { ...emptySqe(0x7f), nsid: 1 }))).toBe("0h/01h");
    expect(statusOf(io(rig, { ...emptySqe(0x06), nsid: 1 }))).toBe("0h/01h");
  });

  it("without a namespace store: Identify NN=0, an empty namespace list, and I/O → Invalid Namespace", () => {
    const rig = createRig({ namespace: false });
    rig.host.enable();
    const buffer = rig.memory.alloc(IDENTIFY_DATA_SIZE);
    rig.host.submit(buildIdentify({ cns: Cns.Controller, prp1: buffer }));
    expect(decodeIdentifyController(rig.memory.read(buffer, IDENTIFY_DATA_SIZE)).nn).toBe(0);
    rig.host.submit(buildIdentify({ cns: Cns.ActiveNamespaceList, prp1: buffer }));
    expect(decodeNamespaceList(rig.memory.read(buffer, IDENTIFY_DATA_SIZE))).toEqual([]);
    const cq = rig.memory.alloc(PAGE);
    const sq = rig.memory.alloc(PAGE);
    rig.host.submit(buildCreateIoCq({ qid: 1, qsize: 3, prp1: cq }));
    rig.host.submit(buildCreateIoSq({ qid: 1, qsize: 3, cqid: 1, prp1: sq }));
    rig.host.trackIoQueue(1, sq, cq, 4);
    expect(statusOf(io(rig, rw(NvmOpcode.Read, 0, 1, prpsFor(rig, buffer, LBA))))).toBe("0h/0Bh");
    expect(statusOf(io(rig, { ...emptySqe(NvmOpcode.Flush), nsid: 1 }))).toBe("0h/0Bh");
  });
});
