import { describe, expect, it } from "vitest";
import {
  BootReadStatus,
  BpWriteProtectionState,
  bpinfoCodec,
  bprselCodec,
  buildFirmwareCommit,
  buildGetLogPage,
  CommitAction,
  capCodec,
  decodeBootPartitionLogHeader,
  decodeBpWriteProtection,
  encodeBootPartitionLogHeader,
  encodeBpWriteProtection,
  LogPageId,
  Status,
  statusFieldCodec,
  toNvmeStatus,
} from "../src/index.js";
import {
  BOOT_PARTITION_LOG_HEADER_BPSZ_2000_ABPID_1,
  CAP_QEMU_LIKE_WITH_BPS,
  KnownVectors,
} from "../src/testing/index.js";

describe("known answers from docs/spec/boot-partitions.md and the downstream firmware (its §10)", () => {
  it("CDW11 0x09 unlocks both BPs", () => {
    expect(decodeBpWriteProtection(KnownVectors.bpwpUnlockBothCdw11)).toEqual({
      bp0: BpWriteProtectionState.WriteUnlocked,
      bp1: BpWriteProtectionState.WriteUnlocked,
    });
    expect(encodeBpWriteProtection({ bp0: 1, bp1: 1 })).toBe(0x09);
  });

  it("CDW11 0x08 unlocks BP1 and leaves BP0 unchanged", () => {
    expect(encodeBpWriteProtection({ bp0: BpWriteProtectionState.NoChange, bp1: 1 })).toBe(
      KnownVectors.bpwpUnlockBp1OnlyCdw11,
    );
  });

  it("the BP commit CDW10 is (1<<31)|(6<<3)", () => {
    const sqe = buildFirmwareCommit({ ca: CommitAction.ReplaceBootPartition, bpid: 1 });
    expect(sqe.cdw10).toBe(KnownVectors.commitReplaceBp1Cdw10);
    expect(sqe.cdw10).toBe(((1 << 31) | (6 << 3)) >>> 0);
    expect(sqe.opcode).toBe(0x10);
  });

  it("the Get Log Page CDW10 for LID 15h carries BPID in bit 8", () => {
    const sqe = buildGetLogPage({ lid: LogPageId.BootPartition, lsp: 1, numd: 0x3fff, prp1: 0x1000n });
    expect(sqe.cdw10).toBe(KnownVectors.getLogBp1Cdw10Numdl3fff);
    expect((sqe.cdw10 >>> 8) & 1).toBe(1);
    expect(sqe.cdw11).toBe(0);
  });

  it("BPINFO, BPRSEL and CAP.BPS decode to the documented fields", () => {
    expect(bpinfoCodec.decode(KnownVectors.bpinfoBpsz2000Success)).toEqual({
      bpsz: 0x2000,
      brs: BootReadStatus.Success,
      abpid: 1,
    });
    expect(bpinfoCodec.encode({ bpsz: 0x2000, brs: 2, abpid: 1 })).toBe(KnownVectors.bpinfoBpsz2000Success);
    expect(bprselCodec.decode(KnownVectors.bprselBp1Of3Sz2)).toEqual({ bprsz: 2, bprof: 3, bpid: 1 });
    expect(bprselCodec.encode({ bprsz: 2, bprof: 3, bpid: 1 })).toBe(KnownVectors.bprselBp1Of3Sz2);
    const cap = capCodec.decode(CAP_QEMU_LIKE_WITH_BPS);
    expect(cap.bps).toBe(true);
    expect(cap.mqes).toBe(0x7ff);
    expect(cap.mpsmax).toBe(4);
    expect(capCodec.encode(cap)).toBe(CAP_QEMU_LIKE_WITH_BPS);
  });

  it("the BP log header is LID 15h, BPINFO at bytes 7:4", () => {
    expect(encodeBootPartitionLogHeader({ bpsz: 0x2000, abpid: 1 })).toEqual(
      BOOT_PARTITION_LOG_HEADER_BPSZ_2000_ABPID_1,
    );
    expect(decodeBootPartitionLogHeader(BOOT_PARTITION_LOG_HEADER_BPSZ_2000_ABPID_1)).toEqual({
      bpsz: 0x2000,
      abpid: 1,
    });
  });

  it("Boot Partition Write Prohibited is SCT<<8|SC = 0x011E", () => {
    expect(statusFieldCodec.encode(toNvmeStatus(Status.BootPartitionWriteProhibited))).toBe(
      KnownVectors.statusBootPartitionWriteProhibited,
    );
  });
});
