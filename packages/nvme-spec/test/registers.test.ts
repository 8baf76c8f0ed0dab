import { describe, expect, it } from "vitest";
import {
  aqaCodec,
  bpinfoCodec,
  bprselByteRange,
  bprselCodec,
  capCodec,
  ccCodec,
  cqHeadDoorbellOffset,
  cstsCodec,
  decodeBpmbl,
  decodeDoorbellOffset,
  decodeDoorbellValue,
  formatVersion,
  isBprselInRange,
  memoryPageSizeBytes,
  NVME_VERSION_2_1,
  RegisterOffset,
  registerName,
  ShutdownNotification,
  sqTailDoorbellOffset,
  vsCodec,
} from "../src/index.js";

describe("register offsets", () => {
  it("match the spec's property map", () => {
    expect(RegisterOffset).toMatchObject({
      CAP: 0x00,
      CC: 0x14,
      CSTS: 0x1c,
      AQA: 0x24,
      BPINFO: 0x40,
      BPRSEL: 0x44,
      BPMBL: 0x48,
    });
    expect(registerName(0x44)).toBe("BPRSEL");
    expect(registerName(0x1000)).toBeUndefined();
  });

  it("place doorbells at 1000h + (2y [+1]) * (4 << DSTRD)", () => {
    expect(sqTailDoorbellOffset(0, 0)).toBe(0x1000);
    expect(cqHeadDoorbellOffset(0, 0)).toBe(0x1004);
    expect(sqTailDoorbellOffset(1, 0)).toBe(0x1008);
    expect(cqHeadDoorbellOffset(1, 2)).toBe(0x1030);
    expect(decodeDoorbellOffset(0x1004, 1)).toBeUndefined(); // between doorbells with an 8-byte stride
    expect(decodeDoorbellOffset(0xfff, 0)).toBeUndefined();
    expect(decodeDoorbellValue(0xabcd_0012)).toBe(0x12); // bits 31:16 reserved
  });
});

describe("CAP, VS, CC, CSTS, AQA", () => {
  it("CAP fields sit at the spec's bits (BPS 45, DSTRD 35:32, MPSMIN 51:48, TO 31:24)", () => {
    expect(capCodec.encode({ bps: true })).toBe(1n << 45n);
    expect(capCodec.encode({ dstrd: 0xf })).toBe(0xfn << 32n);
    expect(capCodec.encode({ mpsmin: 1 })).toBe(1n << 48n);
    expect(capCodec.encode({ to: 0xff })).toBe(0xffn << 24n);
    expect(capCodec.decode(1n << 63n)).toEqual(capCodec.decode(0n)); // bits 63:62 reserved
    expect(memoryPageSizeBytes(0)).toBe(4096);
  });

  it("CC and CSTS follow §3.1.4.5 / §3.1.4.6 and ignore reserved bits", () => {
    const cc = ccCodec.encode({ en: true, iosqes: 6, iocqes: 4, shn: ShutdownNotification.Normal });
    expect(cc).toBe(0x0046_4001);
    expect(ccCodec.decode(cc | 0b1110)).toEqual(ccCodec.decode(cc)); // bits 3:1 reserved
    expect(ccCodec.decode(0xffff_ffff).crime).toBe(true);
    expect(cstsCodec.encode({ rdy: true, shst: 0b10 })).toBe(0b1001);
    expect(cstsCodec.decode(0x8000_0001)).toMatchObject({ rdy: true, cfs: false });
    expect(aqaCodec.encode({ asqs: 31, acqs: 31 })).toBe(0x001f_001f);
  });

  it("VS encodes major.minor.tertiary", () => {
    expect(vsCodec.decode(NVME_VERSION_2_1)).toEqual({ mjr: 2, mnr: 1, ter: 0 });
    expect(formatVersion(0x0001_0400)).toBe("1.4.0");
  });
});

describe("Boot Partition registers", () => {
  it("BPINFO ignores reserved bits 30:26 and 23:15", () => {
    expect(bpinfoCodec.decode(0x7c00_0000 | 0x00ff_8000 | 0x10)).toEqual({ bpsz: 0x10, brs: 0, abpid: 0 });
  });

  it("BPRSEL ignores reserved bit 30; BPRSZ is not 0's based", () => {
    expect(bprselCodec.decode(0x4000_0001)).toEqual({ bprsz: 1, bprof: 0, bpid: 0 });
    expect(bprselByteRange({ bprsz: 1, bprof: 2, bpid: 0 })).toEqual({
      offsetBytes: 8192,
      lengthBytes: 4096,
    });
  });

  it("BPMBL drops bits 11:0 (MC-4) and keeps the full address", () => {
    expect(decodeBpmbl(0x1_2345_6fffn)).toEqual({ bmbba: 0x1_2345_6000n });
  });

  it("a read is in range only while BPROF*4K + BPRSZ*4K <= BPSZ*128K (MC-2)", () => {
    // BPSZ=1 is 128 KiB = 32 units of 4 KiB
    expect(isBprselInRange({ bprsz: 32, bprof: 0, bpid: 0 }, 1)).toBe(true);
    expect(isBprselInRange({ bprsz: 1, bprof: 31, bpid: 1 }, 1)).toBe(true);
    expect(isBprselInRange({ bprsz: 1, bprof: 32, bpid: 0 }, 1)).toBe(false);
    expect(isBprselInRange({ bprsz: 0, bprof: 32, bpid: 0 }, 1)).toBe(true);
  });
});
