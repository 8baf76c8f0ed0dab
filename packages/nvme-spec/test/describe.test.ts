import { describe, expect, it } from "vitest";
import {
  buildCreateIoCq,
  buildFirmwareCommit,
  buildFirmwareImageDownload,
  buildGetFeatures,
  buildGetLogPage,
  buildIdentify,
  buildSetFeatures,
  Cns,
  CommitAction,
  type CompletionQueueEntry,
  describeCommand,
  describeCompletion,
  describeExchange,
  emptySqe,
  FeatureId,
  FeatureSelect,
  LogPageId,
  NvmOpcode,
  Status,
  toNvmeStatus,
} from "../src/index.js";

function completion(status = Status.Success, dw0 = 0): CompletionQueueEntry {
  return { dw0, dw1: 0, sqhd: 1, sqid: 0, cid: 7, phase: 1, status: toNvmeStatus(status, { dnr: true }) };
}

describe("describeCommand", () => {
  it("prints a BP commit the way the issue shows it", () => {
    const sqe = buildFirmwareCommit({ ca: CommitAction.ReplaceBootPartition, bpid: 1 });
    expect(describeCommand(sqe, { admin: true })).toBe("Firmware Commit CA=110b (replace BP) BPID=1");
  });

  it("prints the full exchange for a prohibited BP write", () => {
    const sqe = buildFirmwareCommit({ ca: CommitAction.ReplaceBootPartition, bpid: 1 });
    expect(describeExchange(sqe, completion(Status.BootPartitionWriteProhibited), { admin: true })).toBe(
      "Firmware Commit CA=110b (replace BP) BPID=1 → Boot Partition Write Prohibited (SCT 1h / SC 1Eh)",
    );
  });

  it("names slot actions with FS instead of BPID", () => {
    const sqe = buildFirmwareCommit({ ca: CommitAction.ActivateOnReset, fs: 1 });
    expect(describeCommand(sqe, { admin: true })).toBe(
      "Firmware Commit CA=010b (activate slot on reset) FS=1",
    );
  });

  it("decodes FID 85h values into BP state names", () => {
    const sqe = buildSetFeatures({ fid: FeatureId.BootPartitionWriteProtection, cdw11: 0x09 });
    expect(describeCommand(sqe, { admin: true })).toBe(
      "Set Features FID=85h (Boot Partition Write Protection Config) CDW11=09h: BP0=Write Unlocked, BP1=Write Unlocked",
    );
    const get = buildGetFeatures({ fid: FeatureId.BootPartitionWriteProtection, sel: FeatureSelect.Current });
    expect(describeExchange(get, completion(Status.Success, 0x1b), { admin: true })).toBe(
      "Get Features FID=85h (Boot Partition Write Protection Config) SEL=current → " +
        "Successful Completion (SCT 0h / SC 00h): BP0=Write Locked Until Power Cycle, BP1=Write Locked Until Power Cycle",
    );
  });

  it("shows the BPID and the byte count of a BP log read", () => {
    const sqe = buildGetLogPage({
      lid: LogPageId.BootPartition,
      lsp: 1,
      numd: 1023,
      lpo: 16n,
      prp1: 0x2000n,
    });
    expect(describeCommand(sqe, { admin: true })).toBe(
      "Get Log Page LID=15h (Boot Partition) BPID=1 LPO=16 NUMD=1023 (4096 bytes)",
    );
  });

  it("shows download offsets in dwords and bytes", () => {
    const sqe = buildFirmwareImageDownload({ numd: 1023, ofst: 2048, cdw12: 1, prp1: 0x3000n });
    expect(describeCommand(sqe, { admin: true })).toBe(
      "Firmware Image Download NUMD=1023 (4096 bytes) OFST=2048 (byte 8192) CDW12=0x00000001 (vendor hint)",
    );
  });

  it("covers identify, queue creation, I/O and unknown opcodes", () => {
    expect(describeCommand(buildIdentify({ cns: Cns.Controller, prp1: 0x1000n }), { admin: true })).toBe(
      "Identify CNS=01h (Controller)",
    );
    expect(
      describeCommand(buildCreateIoCq({ qid: 1, qsize: 63, ien: true, iv: 1, prp1: 0x4000n }), {
        admin: true,
      }),
    ).toBe("Create I/O Completion Queue QID=1 QSIZE=64 entries IEN=1 IV=1");
    const read = { ...emptySqe(NvmOpcode.Read), nsid: 1, cdw10: 8, cdw12: 7 };
    expect(describeCommand(read, { admin: false })).toBe("Read NSID=1 SLBA=8 NLB=8");
    expect(describeCommand(emptySqe(0xc5), { admin: true })).toBe("Admin opcode C5h");
  });
});

describe("describeCompletion", () => {
  it("names the status and its SCT/SC", () => {
    expect(describeCompletion(completion(Status.InvalidField))).toBe(
      "Invalid Field in Command (SCT 0h / SC 02h)",
    );
    expect(describeCompletion(completion(Status.FeatureNotChangeable))).toBe(
      "Feature Not Changeable (SCT 1h / SC 0Eh)",
    );
  });

  it("adds DW0 only for a successful command that returned a value", () => {
    expect(describeCompletion(completion(Status.Success, 0x12))).toBe(
      "Successful Completion (SCT 0h / SC 00h) DW0=0x00000012",
    );
    expect(describeCompletion(completion(Status.Success))).toBe("Successful Completion (SCT 0h / SC 00h)");
  });

  it("labels codes it does not know instead of failing", () => {
    const unknown = { ...completion(), status: { sct: 7, sc: 0xc0, crd: 0, more: false, dnr: false } };
    expect(describeCompletion(unknown)).toBe("Vendor Specific (SCT 7h / SC C0h)");
  });
});
