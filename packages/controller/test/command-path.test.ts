import {
  BootReadStatus,
  bootPartitionLogOffset,
  bootPartitionLsp,
  bpinfoCodec,
  bprselCodec,
  buildFirmwareImageDownload,
  buildGetLogPage,
  decodeSqe,
  encodeBpmbl,
  LogPageId,
  RegisterOffset,
  SQE_SIZE,
} from "@bplab/nvme-spec";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocDataBuffer, type BenchRig, createBenchRig } from "../bench/rig.js";
import { createMemoryStore } from "../src/memory-store.js";
import type { BootPartitionStore, HostMemory } from "../src/ports.js";
import { resolvePrps } from "../src/prp.js";
import { SqeView } from "../src/sqe-view.js";
import { createRig, PAGE, pattern, sameBytes, statusOf } from "./harness.js";

/**
 * Issue 13, the command path: transfers go between the store and host memory segment by segment,
 * straight into host memory when it offers a view, never through a buffer of the whole transfer;
 * and the in-place SQE view decodes exactly what decodeSqe does.
 */

const BP_BYTES = 4 * 1024 * 1024;
const HEADER_BYTES = 16;

interface StoreCall {
  readonly kind: "readBp" | "stageWrite";
  readonly offset: number;
  readonly length: number;
  readonly buffer: ArrayBufferLike;
}

/** A memory store whose BP0 holds `image`, recording the buffers the controller hands it. */
function recordingStore(image: Uint8Array): { store: BootPartitionStore; calls: StoreCall[] } {
  const inner = createMemoryStore({ bpSizeBytes: BP_BYTES }).bootPartitions;
  inner.stageWrite(0, image);
  inner.commitStaged(0);
  const calls: StoreCall[] = [];
  const store: BootPartitionStore = {
    get bpSizeBytes() {
      return inner.bpSizeBytes;
    },
    get stagedLength() {
      return inner.stagedLength;
    },
    get activeBpid() {
      return inner.activeBpid;
    },
    readBp(bpid, offset, into) {
      calls.push({ kind: "readBp", offset, length: into.length, buffer: into.buffer });
      inner.readBp(bpid, offset, into);
    },
    stageWrite(offset, data) {
      calls.push({ kind: "stageWrite", offset, length: data.length, buffer: data.buffer });
      inner.stageWrite(offset, data);
    },
    discardStaged: () => inner.discardStaged(),
    commitStaged: (bpid) => inner.commitStaged(bpid),
    setActiveBpid: (bpid) => inner.setActiveBpid(bpid),
  };
  return { store, calls };
}

function readLog15h(rig: BenchRig, bpOffset: number, length: number): { status: string; bytes: Uint8Array } {
  const buffer = allocDataBuffer(rig, length);
  const cqe = rig.host.submit(
    buildGetLogPage({
      cid: 0,
      lid: LogPageId.BootPartition,
      lsp: bootPartitionLsp(0),
      numd: length / 4 - 1,
      lpo: bootPartitionLogOffset(bpOffset),
      ...buffer.prps(length),
    }),
  );
  return { status: statusOf(cqe), bytes: rig.memory.read(buffer.addr, length) };
}

describe("transfers between the store and host memory (issue 13)", () => {
  const image = pattern(BP_BYTES, 13);

  it("LID 15h with 16 MiB commands reads the store straight into host memory that offers a view", () => {
    const { store, calls } = recordingStore(image);
    const rig = createBenchRig(store, 24 * 1024 * 1024, { mdts: 12 });
    const read = readLog15h(rig, 0, BP_BYTES);
    expect(read.status).toBe("0h/00h");
    expect(sameBytes(read.bytes, image)).toBe(true);
    const reads = calls.filter((call) => call.kind === "readBp");
    expect(reads.length).toBeGreaterThan(0);
    // Compared as a boolean: a failing toBe would try to print two 24 MiB buffers.
    expect(reads.every((call) => call.buffer === rig.memory.bytes.buffer)).toBe(true);
  });

  it("without a view, a 2 MiB log read moves through pieces of at most 256 KiB, not one 2 MiB buffer", () => {
    const { store, calls } = recordingStore(image);
    const rig = createRig({
      store: { bootPartitions: store, namespace: createMemoryStore({ bpSizeBytes: BP_BYTES }).namespace },
      memoryBytes: 16 * 1024 * 1024,
      config: { mdts: 12 },
    });
    rig.host.enable();
    // 512 pages: PRP1 plus one full list page.
    const bytes = 2 * 1024 * 1024;
    const addr = rig.memory.alloc(bytes);
    const list = rig.memory.alloc(PAGE);
    const entries = new DataView(new ArrayBuffer(PAGE));
    for (let page = 1; page < bytes / PAGE; page++)
      entries.setBigUint64((page - 1) * 8, addr + BigInt(page * PAGE), true);
    rig.memory.write(list, new Uint8Array(entries.buffer));
    const cqe = rig.host.submit(
      buildGetLogPage({
        cid: 0,
        lid: LogPageId.BootPartition,
        lsp: bootPartitionLsp(0),
        numd: bytes / 4 - 1,
        lpo: bootPartitionLogOffset(0),
        prp1: addr,
        prp2: list,
      }),
    );
    expect(statusOf(cqe)).toBe("0h/00h");
    expect(sameBytes(rig.memory.read(addr, bytes), image.subarray(0, bytes))).toBe(true);
    const reads = calls.filter((call) => call.kind === "readBp");
    expect(reads.length).toBeGreaterThan(1);
    for (const call of reads) expect(call.length).toBeLessThanOrEqual(256 * 1024);
  });

  it("a read past the log's end is zero-filled (MC-51) on the streaming path", () => {
    const { store } = recordingStore(image);
    const rig = createBenchRig(store, 8 * 1024 * 1024);
    const tail = readLog15h(rig, BP_BYTES - PAGE, 2 * PAGE);
    expect(tail.status).toBe("0h/00h");
    expect(sameBytes(tail.bytes.subarray(0, PAGE), image.subarray(BP_BYTES - PAGE))).toBe(true);
    expect(tail.bytes.subarray(PAGE, PAGE + HEADER_BYTES).every((byte) => byte === 0)).toBe(true);
  });

  it("a BPRSEL read goes straight into the BPMBL buffer", () => {
    const { store, calls } = recordingStore(image);
    const rig = createBenchRig(store, 8 * 1024 * 1024);
    const buffer = rig.memory.alloc(1024 * PAGE, PAGE);
    rig.controller.mmioWrite64(RegisterOffset.BPMBL, encodeBpmbl({ bmbba: buffer }));
    rig.controller.mmioWrite32(RegisterOffset.BPRSEL, bprselCodec.encode({ bpid: 0, bprof: 1, bprsz: 1023 }));
    rig.scheduler.runUntilIdle();
    const { brs } = bpinfoCodec.decode(rig.controller.mmioRead32(RegisterOffset.BPINFO));
    expect(brs).toBe(BootReadStatus.Success);
    expect(sameBytes(rig.memory.read(buffer, 1023 * PAGE), image.subarray(PAGE, 1024 * PAGE))).toBe(true);
    const reads = calls.filter((call) => call.kind === "readBp");
    expect(reads.map(({ offset, length }) => [offset, length])).toEqual([[PAGE, 1023 * PAGE]]);
    expect(reads[0]!.buffer === rig.memory.bytes.buffer).toBe(true);
  });

  it("a download of scattered pages is staged one PRP segment at a time, straight from host memory", () => {
    const { store, calls } = recordingStore(image);
    const rig = createBenchRig(store, 8 * 1024 * 1024);
    // Two pages that are not adjacent: PRP1 and PRP2 are two segments.
    const first = rig.memory.alloc(PAGE);
    rig.memory.alloc(PAGE);
    const second = rig.memory.alloc(PAGE);
    const piece = pattern(2 * PAGE, 5);
    rig.memory.write(first, piece.subarray(0, PAGE));
    rig.memory.write(second, piece.subarray(PAGE));
    const cqe = rig.host.submit(
      buildFirmwareImageDownload({ cid: 0, numd: (2 * PAGE) / 4 - 1, ofst: 0, prp1: first, prp2: second }),
    );
    expect(statusOf(cqe)).toBe("0h/00h");
    const staged = calls.filter((call) => call.kind === "stageWrite");
    expect(staged.map(({ offset, length }) => [offset, length])).toEqual([
      [0, PAGE],
      [PAGE, PAGE],
    ]);
    expect(staged.every((call) => call.buffer === rig.memory.bytes.buffer)).toBe(true);
    expect(store.stagedLength).toBe(2 * PAGE);
  });
});

describe("SqeView (issue 13: the SQE read in place)", () => {
  it("decodes every field exactly as decodeSqe does, and its snapshot equals decodeSqe", () => {
    const view = new SqeView();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: SQE_SIZE, maxLength: SQE_SIZE }), (bytes) => {
        view.bytes.set(bytes);
        const decoded = decodeSqe(bytes);
        expect(view.snapshot()).toEqual(decoded);
        for (const key of Object.keys(decoded) as (keyof typeof decoded)[])
          expect(view[key]).toBe(decoded[key]);
      }),
    );
  });
});

describe("PRP lists resolved without bigint arithmetic per page (issue 13)", () => {
  const page = 4096;
  function listMemory(entries: bigint[]): HostMemory {
    const list = new DataView(new ArrayBuffer(entries.length * 8));
    for (const [index, entry] of entries.entries()) list.setBigUint64(index * 8, entry, true);
    return {
      read: (_addr, length) => new Uint8Array(list.buffer.slice(0, length)),
      write: () => {},
    };
  }

  it("merges adjacent pages and keeps addresses at and above 2^53 exact and apart", () => {
    const high = 2n ** 53n;
    const entries = [0x2000n, 0x3000n, high, high + 0x1000n, 2n ** 64n - 0x1000n];
    const resolved = resolvePrps(listMemory(entries), 0x1000n, 0x10_0000n, 6 * page, page);
    expect(resolved.ok && resolved.segments).toEqual([
      { addr: 0x1000n, length: 3 * page },
      { addr: high, length: page },
      { addr: high + 0x1000n, length: page },
      { addr: 2n ** 64n - 0x1000n, length: page },
    ]);
  });
});
