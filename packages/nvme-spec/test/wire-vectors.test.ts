import { describe, expect, it } from "vitest";
import {
  BpWriteProtectionState,
  bootPartitionLogOffset,
  buildFirmwareCommit,
  buildFirmwareImageDownload,
  buildGetLogPage,
  buildSetFeatures,
  CommitAction,
  decodeBpWriteProtection,
  decodeCqe,
  decodeSqe,
  encodeCqe,
  encodeSqe,
  FeatureId,
  isSameStatus,
  LogPageId,
  numdForBytes,
  parseGetLogPage,
  Status,
  toNvmeStatus,
} from "../src/index.js";
import { WireVectors } from "../src/testing/index.js";

describe("hand-written wire vectors", () => {
  it("builders produce the downstream firmware's exact SQE bytes", () => {
    expect(
      encodeSqe(buildFirmwareCommit({ cid: 1, ca: CommitAction.ReplaceBootPartition, bpid: 1 })),
    ).toEqual(WireVectors.commitReplaceBp1Cid1);
    expect(
      encodeSqe(buildSetFeatures({ cid: 2, fid: FeatureId.BootPartitionWriteProtection, cdw11: 0x09 })),
    ).toEqual(WireVectors.setBpwpUnlockBothCid2);
    const logRead = buildGetLogPage({
      cid: 3,
      lid: LogPageId.BootPartition,
      lsp: 1,
      numd: numdForBytes(64 * 1024),
      lpo: bootPartitionLogOffset(0),
      prp1: 0x10_0000n,
    });
    expect(encodeSqe(logRead)).toEqual(WireVectors.getBootPartitionLogBp1Cid3);
    const download = buildFirmwareImageDownload({
      cid: 4,
      numd: numdForBytes(4096),
      ofst: 4096 / 4,
      cdw12: 1,
      prp1: 0x20_0000n,
    });
    expect(encodeSqe(download)).toEqual(WireVectors.downloadSecond4kWithHintCid4);
  });

  it("parsers read the vectors back", () => {
    expect(parseGetLogPage(decodeSqe(WireVectors.getBootPartitionLogBp1Cid3))).toMatchObject({
      lid: 0x15,
      lsp: 1,
      numd: 0x3fff,
      lpo: 16n,
      prp1: 0x10_0000n,
    });
  });

  it("CQE vectors decode to the right status and phase", () => {
    const prohibited = decodeCqe(WireVectors.cqeBootPartitionWriteProhibitedCid1);
    expect(prohibited).toMatchObject({ cid: 1, sqhd: 5, sqid: 0, phase: 1 });
    expect(isSameStatus(prohibited.status, Status.BootPartitionWriteProhibited)).toBe(true);
    expect(prohibited.status.dnr).toBe(true);
    expect(
      encodeCqe({ ...prohibited, status: toNvmeStatus(Status.BootPartitionWriteProhibited, { dnr: true }) }),
    ).toEqual(WireVectors.cqeBootPartitionWriteProhibitedCid1);
    const locked = decodeCqe(WireVectors.cqeGetBpwpBothLockedCid2);
    expect(decodeBpWriteProtection(locked.dw0)).toEqual({
      bp0: BpWriteProtectionState.WriteLocked,
      bp1: BpWriteProtectionState.WriteLocked,
    });
  });
});
