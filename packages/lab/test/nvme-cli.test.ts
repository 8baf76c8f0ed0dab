import {
  BpWriteProtectionState,
  bootPartitionLogSize,
  CommitAction,
  encodeBpWriteProtection,
  FeatureId,
  FeatureSelect,
  isSameStatus,
  LogPageId,
  Status,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { GuestOutputError, LabBadOptionError } from "../src/errors.js";
import {
  bootPartitionLogData,
  bootPartLogIgnoresLsp,
  nvmeCli,
  parseFeatureValue,
  parseNvmeCliStatus,
  parseNvmeVersions,
} from "../src/nvme-cli.js";

const { WriteLocked, WriteUnlocked, NoChange } = BpWriteProtectionState;
const BPWP = FeatureId.BootPartitionWriteProtection;

describe("nvme-cli 2.3 command lines", () => {
  it("spells the BP commands with 2.3's long options", () => {
    expect(nvmeCli.getFeature(BPWP)).toBe("nvme get-feature /dev/nvme0 --feature-id=0x85 --sel=0");
    expect(nvmeCli.getFeature(BPWP, FeatureSelect.SupportedCapabilities)).toBe(
      "nvme get-feature /dev/nvme0 --feature-id=0x85 --sel=3",
    );
    expect(nvmeCli.setFeature(BPWP, encodeBpWriteProtection({ bp0: NoChange, bp1: WriteUnlocked }))).toBe(
      "nvme set-feature /dev/nvme0 --feature-id=0x85 --value=0x8",
    );
    expect(nvmeCli.fwCommit({ action: CommitAction.ReplaceBootPartition, bpid: 1 })).toBe(
      "nvme fw-commit /dev/nvme0 --action=6 --bpid=1",
    );
    expect(nvmeCli.bootPartLog(1, "/tmp/bp1")).toBe(
      "nvme boot-part-log /dev/nvme0 --lsp=1 --output-file=/tmp/bp1",
    );
    expect(nvmeCli.getLog({ lid: LogPageId.BootPartition, lsp: 1, length: bootPartitionLogSize(1) })).toBe(
      "nvme get-log /dev/nvme0 --log-id=0x15 --lsp=1 --log-len=131088 --raw-binary",
    );
    expect(nvmeCli.fwDownload("/lab/files/a.bin")).toBe("nvme fw-download /dev/nvme0 --fw=/lab/files/a.bin");
    expect(nvmeCli.reset()).toBe("nvme reset /dev/nvme0");
  });

  it("refuses values that are not non-negative integers, naming the option", () => {
    expect(() => nvmeCli.setFeature(BPWP, -1)).toThrow(LabBadOptionError);
    expect(() => nvmeCli.fwCommit({ action: 1.5 })).toThrow(/action/);
  });
});

describe("parsing what nvme-cli 2.3 printed in the guest", () => {
  it("reads get-feature values for every select", () => {
    expect(parseFeatureValue("get-feature:0x85 (Unknown), Current value:0x00000012\n")).toBe(
      encodeBpWriteProtection({ bp0: WriteLocked, bp1: WriteLocked }),
    );
    expect(parseFeatureValue("get-feature:0x85 (Unknown), Supported capabilities value:0x00000004\n")).toBe(
      4,
    );
    expect(() => parseFeatureValue("get-feature: nothing", "lock.before")).toThrow(GuestOutputError);
  });

  it("decodes the NVMe status line into SCT, SC and DNR", () => {
    const status = parseNvmeCliStatus(
      "NVMe status: Boot Partition Write Prohibited: The command tried to modify a locked Boot Partition(0x411e)\n",
    );
    expect(status).toMatchObject({ field: 0x411e, sct: 1, sc: 0x1e, dnr: true });
    expect(status && isSameStatus(status, Status.BootPartitionWriteProhibited)).toBe(true);
    expect(status?.text).toMatch(/^Boot Partition Write Prohibited/);
    const notChangeable = parseNvmeCliStatus(
      "NVMe status: Feature Not Changeable: The Feature Identifier is not able to be changed(0x410e)",
    );
    expect(notChangeable && isSameStatus(notChangeable, Status.FeatureNotChangeable)).toBe(true);
    expect(parseNvmeCliStatus("Firmware download success")).toBeUndefined();
  });

  it("reads the versions and knows which libnvme ignores boot-part-log's lsp", () => {
    expect(parseNvmeVersions("nvme version 2.3 (git 2.3)\nlibnvme version 1.3 (git 1.3)\n")).toEqual({
      nvmeCli: "2.3",
      libnvme: "1.3",
    });
    expect(() => parseNvmeVersions("nvme: not found")).toThrow(GuestOutputError);
    expect(bootPartLogIgnoresLsp("1.3")).toBe(true);
    expect(bootPartLogIgnoresLsp("1.6")).toBe(true);
    expect(bootPartLogIgnoresLsp("1.7")).toBe(false);
    expect(bootPartLogIgnoresLsp("2.0")).toBe(false);
  });

  it("strips the 16-byte header from a raw Boot Partition log", () => {
    const log = new Uint8Array(20).map((_, i) => i);
    expect(bootPartitionLogData(log)).toEqual(Uint8Array.of(16, 17, 18, 19));
  });
});
