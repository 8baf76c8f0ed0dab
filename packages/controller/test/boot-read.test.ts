import { BootReadStatus, bpinfoCodec, bprselCodec, LogPageId, RegisterOffset } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { commit, download, readLog, setWriteProtection } from "./flows.js";
import { createRig, kinds, PAGE, pattern, type Rig, sameBytes } from "./harness.js";

/** The BPRSEL/BPMBL register read path (docs/spec/boot-partitions.md §1.3-1.5, MC-1..MC-7). */

const FILL = 0xa5;

/** Puts distinct images in BP0 and BP1 through the normal write path, then power cycles. */
function rigWithImages(options: Parameters<typeof createRig>[0] = {}): {
  rig: Rig;
  images: [Uint8Array, Uint8Array];
} {
  const rig = createRig(options);
  rig.host.enable();
  setWriteProtection(rig, 0x09);
  const size = rig.store.bootPartitions.bpSizeBytes;
  const images: [Uint8Array, Uint8Array] = [pattern(size, 100), pattern(size, 101)];
  for (const bpid of [0, 1] as const) {
    download(rig, images[bpid], 64 * 1024);
    commit(rig, 0b110, bpid);
  }
  rig.controller.powerCycle();
  rig.host.forgetQueues();
  rig.events.length = 0;
  return { rig, images };
}

function brs(rig: Rig): number {
  return bpinfoCodec.decode(rig.controller.mmioRead32(RegisterOffset.BPINFO)).brs;
}

function prefilledBuffer(rig: Rig, length: number): bigint {
  const buffer = rig.memory.alloc(length);
  rig.memory.write(buffer, new Uint8Array(length).fill(FILL));
  return buffer;
}

function startRead(rig: Rig, buffer: bigint, select: { bpid: number; bprof: number; bprsz: number }): void {
  rig.controller.mmioWrite64(RegisterOffset.BPMBL, buffer);
  rig.controller.mmioWrite32(RegisterOffset.BPRSEL, bprselCodec.encode(select));
}

describe("BPRSEL read path", () => {
  it("reads with CC.EN=0: BRS goes 00b → 01b → 10b and the buffer holds the BP bytes (MC-6)", () => {
    const { rig, images } = rigWithImages();
    expect(rig.controller.mmioRead32(RegisterOffset.CC) & 1).toBe(0);
    expect(brs(rig)).toBe(BootReadStatus.None);
    const buffer = prefilledBuffer(rig, 2 * PAGE);
    startRead(rig, buffer, { bpid: 1, bprof: 3, bprsz: 2 });
    expect(brs(rig)).toBe(BootReadStatus.Reading);
    rig.scheduler.runUntilIdle();
    expect(brs(rig)).toBe(BootReadStatus.Success);
    expect(sameBytes(rig.memory.read(buffer, 2 * PAGE), images[1].subarray(3 * PAGE, 5 * PAGE))).toBe(true);
    expect(rig.controller.mmioRead32(RegisterOffset.BPRSEL)).toBe(
      bprselCodec.encode({ bpid: 1, bprof: 3, bprsz: 2 }),
    );
    expect(kinds(rig.events).filter((kind) => kind.startsWith("bp.read"))).toEqual([
      "bp.read.start",
      "bp.read.done",
    ]);
  });

  it("reads either BP regardless of ABPID, and with CC.EN=1", () => {
    const { rig, images } = rigWithImages();
    rig.host.enable();
    commit(rig, 0b111, 1);
    const buffer = prefilledBuffer(rig, PAGE);
    startRead(rig, buffer, { bpid: 0, bprof: 0, bprsz: 1 });
    rig.scheduler.runUntilIdle();
    expect(brs(rig)).toBe(BootReadStatus.Success);
    expect(sameBytes(rig.memory.read(buffer, PAGE), images[0].subarray(0, PAGE))).toBe(true);
  });

  it("out of range → BRS=11b and nothing transferred (MC-2)", () => {
    const { rig } = rigWithImages();
    const units = rig.store.bootPartitions.bpSizeBytes / PAGE;
    const buffer = prefilledBuffer(rig, 2 * PAGE);
    startRead(rig, buffer, { bpid: 0, bprof: units - 1, bprsz: 2 });
    rig.scheduler.runUntilIdle();
    expect(brs(rig)).toBe(BootReadStatus.Error);
    expect(rig.memory.read(buffer, 2 * PAGE).every((byte) => byte === FILL)).toBe(true);
  });

  it("the last 4 KiB exactly at the end is in range", () => {
    const { rig, images } = rigWithImages();
    const units = rig.store.bootPartitions.bpSizeBytes / PAGE;
    const buffer = prefilledBuffer(rig, PAGE);
    startRead(rig, buffer, { bpid: 0, bprof: units - 1, bprsz: 1 });
    rig.scheduler.runUntilIdle();
    expect(brs(rig)).toBe(BootReadStatus.Success);
    expect(sameBytes(rig.memory.read(buffer, PAGE), images[0].subarray(-PAGE))).toBe(true);
  });

  it("BPRSZ=0 completes with BRS=10b and transfers nothing (MC-1)", () => {
    const { rig } = rigWithImages();
    const buffer = prefilledBuffer(rig, PAGE);
    startRead(rig, buffer, { bpid: 0, bprof: 0, bprsz: 0 });
    rig.scheduler.runUntilIdle();
    expect(brs(rig)).toBe(BootReadStatus.Success);
    expect(rig.memory.read(buffer, PAGE).every((byte) => byte === FILL)).toBe(true);
  });

  it("ignores a BPRSEL write while BRS=01b: BPRSEL keeps its value, one DMA only (MC-3)", () => {
    const { rig, images } = rigWithImages();
    const buffer = prefilledBuffer(rig, PAGE);
    startRead(rig, buffer, { bpid: 0, bprof: 0, bprsz: 1 });
    rig.controller.mmioWrite32(RegisterOffset.BPRSEL, bprselCodec.encode({ bpid: 1, bprof: 1, bprsz: 1 }));
    expect(rig.controller.mmioRead32(RegisterOffset.BPRSEL)).toBe(
      bprselCodec.encode({ bpid: 0, bprof: 0, bprsz: 1 }),
    );
    expect(rig.scheduler.runUntilIdle()).toBe(1);
    expect(sameBytes(rig.memory.read(buffer, PAGE), images[0].subarray(0, PAGE))).toBe(true);
    expect(kinds(rig.events).filter((kind) => kind.startsWith("bp.read"))).toEqual([
      "bp.read.start",
      "bp.read.ignored",
      "bp.read.done",
    ]);
  });

  it("a new BPRSEL write after completion starts the next read (chunked reads)", () => {
    const { rig, images } = rigWithImages();
    const buffer = prefilledBuffer(rig, PAGE);
    for (const bprof of [0, 5, 9]) {
      startRead(rig, buffer, { bpid: 1, bprof, bprsz: 1 });
      rig.scheduler.runUntilIdle();
      expect(brs(rig)).toBe(BootReadStatus.Success);
      expect(
        sameBytes(rig.memory.read(buffer, PAGE), images[1].subarray(bprof * PAGE, (bprof + 1) * PAGE)),
      ).toBe(true);
    }
  });

  for (const [name, resetAction] of [
    ["controllerReset() (FLR)", (rig: Rig) => rig.controller.controllerReset()],
    ["CC.EN 1→0", (rig: Rig) => rig.controller.mmioWrite32(RegisterOffset.CC, 0)],
    ["powerCycle()", (rig: Rig) => rig.controller.powerCycle()],
  ] as const) {
    it(`${name} during a read cancels it: no byte written, BRS/BPRSEL/BPMBL back to 0 (MC-5)`, () => {
      const { rig } = rigWithImages();
      rig.host.enable();
      const buffer = prefilledBuffer(rig, PAGE);
      startRead(rig, buffer, { bpid: 0, bprof: 0, bprsz: 1 });
      resetAction(rig);
      rig.scheduler.runUntilIdle();
      expect(brs(rig)).toBe(BootReadStatus.None);
      expect(rig.controller.mmioRead32(RegisterOffset.BPRSEL)).toBe(0);
      expect(rig.controller.mmioRead64(RegisterOffset.BPMBL)).toBe(0n);
      expect(rig.memory.read(buffer, PAGE).every((byte) => byte === FILL)).toBe(true);
    });
  }

  it("drops BPMBL bits 11:0 (MC-4) and accepts the upper dword at 4Ch", () => {
    const rig = createRig();
    rig.controller.mmioWrite32(RegisterOffset.BPMBL, 0x1234_5fff);
    rig.controller.mmioWrite32(RegisterOffset.BPMBL + 4, 0x9);
    expect(rig.controller.mmioRead32(RegisterOffset.BPMBL)).toBe(0x1234_5000);
    expect(rig.controller.mmioRead64(RegisterOffset.BPMBL)).toBe(0x9_1234_5000n);
  });

  it("a buffer in unmapped host memory → BRS=11b (MC-7)", () => {
    const { rig } = rigWithImages();
    startRead(rig, BigInt(rig.memory.bytes.length), { bpid: 0, bprof: 0, bprsz: 1 });
    rig.scheduler.runUntilIdle();
    expect(brs(rig)).toBe(BootReadStatus.Error);
  });

  it("the log page path leaves BPINFO, BPRSEL and BPMBL alone", () => {
    const { rig } = rigWithImages();
    const buffer = prefilledBuffer(rig, PAGE);
    startRead(rig, buffer, { bpid: 1, bprof: 2, bprsz: 1 });
    rig.scheduler.runUntilIdle();
    const before = [RegisterOffset.BPINFO, RegisterOffset.BPRSEL, RegisterOffset.BPMBL].map((offset) =>
      rig.controller.mmioRead32(offset),
    );
    rig.host.enable();
    expect(readLog(rig, { lid: LogPageId.BootPartition, length: PAGE }).cqe.status.sc).toBe(0);
    const after = [RegisterOffset.BPINFO, RegisterOffset.BPRSEL, RegisterOffset.BPMBL].map((offset) =>
      rig.controller.mmioRead32(offset),
    );
    expect(after).toEqual(before);
  });
});

describe("a 1 GiB Boot Partition (BPSZ=2000h, the real firmware's size)", () => {
  it("reports BPSZ=2000h, commits a short image and reads both ends through BPRSEL and the log page", () => {
    const oneGiB = 1024 * 1024 * 1024;
    const rig = createRig({ bpSizeBytes: oneGiB });
    expect(bpinfoCodec.decode(rig.controller.mmioRead32(RegisterOffset.BPINFO)).bpsz).toBe(0x2000);
    rig.host.enable();
    setWriteProtection(rig, 0x08);
    const head = pattern(2 * PAGE, 55);
    download(rig, head, PAGE);
    expect(commit(rig, 0b110, 1).status.sc).toBe(0);
    const buffer = prefilledBuffer(rig, 2 * PAGE);
    startRead(rig, buffer, { bpid: 1, bprof: 0, bprsz: 2 });
    rig.scheduler.runUntilIdle();
    expect(sameBytes(rig.memory.read(buffer, 2 * PAGE), head)).toBe(true);
    // The last page lies past the short image, so it reads as zeroes (MC-21).
    startRead(rig, buffer, { bpid: 1, bprof: oneGiB / PAGE - 1, bprsz: 1 });
    rig.scheduler.runUntilIdle();
    expect(brs(rig)).toBe(BootReadStatus.Success);
    expect(rig.memory.read(buffer, PAGE).every((byte) => byte === 0)).toBe(true);
    const header = readLog(rig, { lid: LogPageId.BootPartition, lsp: 1, length: 16 + PAGE }).data;
    expect(new DataView(header.buffer).getUint32(4, true)).toBe(0x2000);
    expect(sameBytes(header.subarray(16), head.subarray(0, PAGE))).toBe(true);
    const end = readLog(rig, {
      lid: LogPageId.BootPartition,
      lsp: 1,
      lpo: BigInt(16 + oneGiB - 8),
      length: 16,
    });
    expect(end.cqe.status.sc).toBe(0);
    expect(end.data.every((byte) => byte === 0)).toBe(true);
  });
});
