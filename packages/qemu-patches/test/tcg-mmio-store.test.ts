/**
 * A real guest CPU (TCG) stores BPINFO/BPRSEL with ONE 8-byte store (issue 8, item 7): the device
 * must take BPRSEL from the high dword and start the Boot Partition read, and ignore the low dword
 * (BPINFO is read-only). qtest cannot check this: its `writeq` reaches the device as two 4-byte
 * writes, while a TCG store reaches the device's write callback with size 8.
 *
 * The binary: `BPLAB_QEMU` if set (to run this test against another build of the series), else the
 * patched build in the cache. Skipped, with the reason printed, with `BPLAB_SKIP_QEMU=1` or when
 * neither exists.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "./helpers.js";
import {
  BAR0_ADDRESS,
  BIOS_SIZE,
  BPINFO_OFFSET,
  BPRSEL_HALF,
  DONE_MARKER,
  DONE_MARKER_ADDRESS,
  guestCode,
  mmioStoreBios,
  NVME_PCI_DEVICE,
  STORED_QWORD,
} from "./mmio-store-bios.js";
import { qemuUnderTest, TcgQemu } from "./tcg-qemu.js";

const BP_SIZE = 128 * 1024; // BPSZ 1
const BP_READ_SIZE = 4096; // BPRSZ 1
const BPMBL_RESET = 0;
const POLL_MS = 20;

/** BPINFO fields (docs/spec/boot-partitions.md §1). */
const bpinfoBrs = (bpinfo: number): number => (bpinfo >>> 24) & 0x3;
const bpinfoBpsz = (bpinfo: number): number => bpinfo & 0x7fff;
const BRS_NO_READ = 0b00;
const BRS_READING = 0b01;
const BRS_SUCCESS = 0b10;

const binary = qemuUnderTest();
if (binary.reason) console.log(`TCG 8-byte MMIO store test skipped: ${binary.reason}`);

/** BP0 and BP1 with different bytes, so the test sees which partition and which bytes were read. */
function bootPartitionImage(): Buffer {
  const image = Buffer.alloc(2 * BP_SIZE);
  for (let i = 0; i < image.length; i++) image[i] = (i * 7 + (i < BP_SIZE ? 0x11 : 0x99)) & 0xff;
  return image;
}

describe("the hand-assembled -bios image", () => {
  it("is 64 KiB, far-jumps from the reset vector to F000h:0000h and holds the qword at F000h:0100h", () => {
    const image = mmioStoreBios();
    expect(image.length).toBe(BIOS_SIZE); // QEMU wants a multiple of 64 KiB
    expect([...image.subarray(0xfff0, 0xfff5)]).toEqual([0xea, 0x00, 0x00, 0x00, 0xf0]);
    expect(image.readBigUInt64LE(0x100)).toBe(STORED_QWORD);
    expect(Number(STORED_QWORD >> 32n)).toBe(BPRSEL_HALF);
    expect([...image.subarray(0, guestCode().length)]).toEqual([...guestCode()]);
  });

  it("stores with exactly one movq to memory, ES:[0040h]", () => {
    const code = Buffer.from(guestCode());
    const movqStore = Buffer.from([0x26, 0x0f, 0x7f, 0x06, BPINFO_OFFSET, 0x00]);
    expect(code.indexOf(movqStore)).toBeGreaterThan(0);
    expect(code.indexOf(movqStore, code.indexOf(movqStore) + 1)).toBe(-1);
  });
});

describe.skipIf(binary.reason !== undefined)("an 8-byte guest store at BPINFO (TCG)", () => {
  it("sets BPRSEL from the high dword and runs the Boot Partition read it selects", async () => {
    const dir = tempDir();
    const bios = join(dir, "bios.bin");
    const bpImage = join(dir, "bp.img");
    const bpData = bootPartitionImage();
    writeFileSync(bios, mmioStoreBios());
    writeFileSync(bpImage, bpData);

    const qemu = await TcgQemu.start(binary.path ?? "", [
      ...["-accel", "tcg", "-machine", "q35", "-nodefaults", "-display", "none", "-m", "64M"],
      ...["-bios", bios],
      ...["-drive", `file=${bpImage},if=none,format=raw,id=bp0`],
      ...["-device", `nvme,serial=tcg,bootpart=bp0,addr=${NVME_PCI_DEVICE.toString(16).padStart(2, "0")}.0`],
    ]);
    try {
      // Poll, without a time limit, until the guest has executed its store and the read it may
      // have started is no longer in progress (the device completes it on a virtual-time timer).
      let bpinfo = 0;
      let bprsel = 0;
      for (;;) {
        const [marker] = await qemu.readDwords(DONE_MARKER_ADDRESS, 1);
        [bpinfo = 0, bprsel = 0] = await qemu.readDwords(BAR0_ADDRESS + BPINFO_OFFSET, 2);
        if (marker === DONE_MARKER && bpinfoBrs(bpinfo) !== BRS_READING) break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const seen = `BPINFO=0x${bpinfo.toString(16)} BPRSEL=0x${bprsel.toString(16)}`;
      // The high dword is BPRSEL; a device that drops it leaves BPRSEL 0 and BRS "no read".
      expect(bprsel, seen).toBe(BPRSEL_HALF);
      expect(bpinfoBrs(bpinfo), seen).not.toBe(BRS_NO_READ);
      expect(bpinfoBrs(bpinfo), seen).toBe(BRS_SUCCESS);
      // The low dword went to read-only BPINFO: BPSZ is still 1 and ABPID still 0.
      expect(bpinfo, seen).toBe((BRS_SUCCESS << 24) | 1);
      expect(bpinfoBpsz(bpinfo)).toBe(BP_SIZE / (128 * 1024));
      // The read really ran: BP0's first 4 KiB are at BPMBL (its reset value, 0).
      const landed = await qemu.readMemory(BPMBL_RESET, BP_READ_SIZE);
      expect(landed.equals(bpData.subarray(0, BP_READ_SIZE))).toBe(true);
    } finally {
      await qemu.stop();
    }
  });
});
