import { describe, expect, it } from "vitest";
import {
  bootPartitionSizeBytes,
  bpinfoCodec,
  bprselCodec,
  buildFirmwareCommit,
  buildGetFeatures,
  buildGetLogPage,
  buildIdentify,
  ccCodec,
  decodeBootPartitionLogHeader,
  decodeBpWriteProtection,
  decodeSqe,
  encodeBpmbl,
  encodeBpWriteProtection,
  encodeCqe,
  NvmeSpecError,
  numdForBytes,
  Status,
  sqTailDoorbellOffset,
  toNvmeStatus,
} from "../src/index.js";

/** Runs `attempt` and returns the NvmeSpecError it throws; fails the test otherwise. */
function specError(attempt: () => unknown): NvmeSpecError {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(NvmeSpecError);
    return error as NvmeSpecError;
  }
  throw new Error("expected an NvmeSpecError, but nothing was thrown");
}

describe("out-of-range values raise a typed error naming the field and the limit", () => {
  it("BPSZ above 0x7FFF", () => {
    const error = specError(() => bpinfoCodec.encode({ bpsz: 0x8000 }));
    expect(error.code).toBe("FIELD_RANGE");
    expect(error.field).toBe("BPINFO.BPSZ");
    expect(error.limit).toBe(0x7fff);
    expect(error.message).toBe("BPINFO.BPSZ must be an integer from 0 to 32767 (0x7fff), got 32768 (0x8000)");
    expect(specError(() => bootPartitionSizeBytes(0x8000)).field).toBe("BPINFO.BPSZ");
  });

  it("BPROF over 20 bits and BPRSZ over 10 bits", () => {
    const bprof = specError(() => bprselCodec.encode({ bprof: 0x10_0000 }));
    expect([bprof.field, bprof.limit]).toEqual(["BPRSEL.BPROF", 0xf_ffff]);
    const bprsz = specError(() => bprselCodec.encode({ bprsz: 1024 }));
    expect([bprsz.field, bprsz.limit]).toEqual(["BPRSEL.BPRSZ", 1023]);
  });

  it("BPWPS of 101b-111b in encode, and in a strict decode", () => {
    for (const reserved of [0b101, 0b110, 0b111]) {
      const error = specError(() => encodeBpWriteProtection({ bp0: reserved, bp1: 1 }));
      expect(error.code).toBe("RESERVED_VALUE");
      expect(error.field).toBe("BPWPC.BP0WPS");
      expect(error.message).toMatch(/101b-111b are reserved/);
      expect(specError(() => decodeBpWriteProtection(reserved << 3)).field).toBe("BPWPC.BP1WPS");
    }
    expect(specError(() => encodeBpWriteProtection({ bp0: 8, bp1: 0 })).code).toBe("FIELD_RANGE");
  });

  it("reserved commit actions and SEL values", () => {
    for (const ca of [0b100, 0b101]) {
      const error = specError(() => buildFirmwareCommit({ ca, bpid: 0 }));
      expect([error.code, error.field]).toEqual(["RESERVED_VALUE", "Firmware Commit.CA"]);
    }
    expect(specError(() => buildFirmwareCommit({ ca: 6, bpid: 2 })).field).toBe("Firmware Commit.CDW10.BPID");
    const sel = specError(() => buildGetFeatures({ fid: 0x85, sel: 0b100 }));
    expect([sel.code, sel.field]).toEqual(["RESERVED_VALUE", "Get Features.SEL"]);
  });

  it("an unaligned BPMBL address is refused, not rounded", () => {
    const error = specError(() => encodeBpmbl({ bmbba: 0x1234n }));
    expect([error.code, error.field, error.limit]).toEqual(["ALIGNMENT", "BPMBL.BMBBA", 4096]);
  });

  it("non-integers, negatives and values past 32 / 64 bits", () => {
    expect(specError(() => ccCodec.encode({ mps: 1.5 })).field).toBe("CC.MPS");
    expect(specError(() => ccCodec.encode({ mps: -1 })).field).toBe("CC.MPS");
    expect(specError(() => buildGetLogPage({ lid: 2, numd: 2 ** 32, prp1: 0n })).field).toBe(
      "Get Log Page.NUMD",
    );
    expect(specError(() => buildGetLogPage({ lid: 2, numd: 0, lpo: 1n << 64n, prp1: 0n })).field).toBe(
      "Get Log Page.LPO",
    );
    expect(specError(() => buildIdentify({ cns: 1, prp1: -1n })).field).toBe("PRP1");
    expect(specError(() => buildIdentify({ cns: 1, prp1: 0n, cid: 0x1_0000 })).field).toBe("CID");
    expect(specError(() => sqTailDoorbellOffset(1, 16)).field).toBe("CAP.DSTRD");
  });

  it("a register value past 32 bits; a signed int32 is the same 32 bits and decodes", () => {
    expect(specError(() => bpinfoCodec.decode(2 ** 32)).field).toBe("BPINFO");
    expect(specError(() => bpinfoCodec.decode(0.5)).code).toBe("FIELD_RANGE");
    expect(bpinfoCodec.decode((1 << 31) | 0x10)).toEqual({ bpsz: 0x10, brs: 0, abpid: 1 });
  });

  it("a flag given a non-boolean", () => {
    const error = specError(() => ccCodec.encode({ en: 1 as unknown as boolean }));
    expect([error.code, error.field, error.limit]).toEqual(["FIELD_RANGE", "CC.EN", "boolean"]);
  });

  it("short buffers and a wrong log identifier", () => {
    expect(specError(() => decodeSqe(new Uint8Array(63))).code).toBe("BUFFER_SIZE");
    const header = new Uint8Array(16);
    header[0] = 0x14;
    const error = specError(() => decodeBootPartitionLogHeader(header));
    expect([error.code, error.limit]).toEqual(["BAD_IDENTIFIER", 0x15]);
  });

  it("a CQE status field that does not fit", () => {
    const status = { ...toNvmeStatus(Status.Success), sct: 8 };
    const error = specError(() => encodeCqe({ dw0: 0, dw1: 0, sqhd: 0, sqid: 0, cid: 0, phase: 0, status }));
    expect(error.field).toBe("status.SCT");
  });

  it("a transfer length that is not whole dwords", () => {
    expect(numdForBytes(4096)).toBe(1023);
    expect(specError(() => numdForBytes(6)).code).toBe("ALIGNMENT");
    expect(specError(() => numdForBytes(0)).code).toBe("FIELD_RANGE");
  });
});
