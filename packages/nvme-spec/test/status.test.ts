import { describe, expect, it } from "vitest";
import {
  formatStatusCode,
  isSameStatus,
  isSuccess,
  STATUS_TEXT,
  Status,
  StatusCodeType,
  statusFieldCodec,
  statusKeyName,
  statusName,
} from "../src/index.js";

describe("status codes", () => {
  it("contain every code of docs/spec/boot-partitions.md §2.3 with its SCT/SC and name", () => {
    const table: Array<[keyof typeof Status, number, number, string]> = [
      ["InvalidField", 0x0, 0x02, "Invalid Field in Command"],
      ["CommandSequenceError", 0x0, 0x0c, "Command Sequence Error"],
      ["NamespaceWriteProtected", 0x0, 0x20, "Namespace is Write Protected"],
      ["InvalidFirmwareSlot", 0x1, 0x06, "Invalid Firmware Slot"],
      ["InvalidFirmwareImage", 0x1, 0x07, "Invalid Firmware Image"],
      [
        "FirmwareActivationRequiresConventionalReset",
        0x1,
        0x0b,
        "Firmware Activation Requires Conventional Reset",
      ],
      ["FeatureIdentifierNotSaveable", 0x1, 0x0d, "Feature Identifier Not Saveable"],
      ["FeatureNotChangeable", 0x1, 0x0e, "Feature Not Changeable"],
      [
        "FirmwareActivationRequiresNvmSubsystemReset",
        0x1,
        0x10,
        "Firmware Activation Requires NVM Subsystem Reset",
      ],
      [
        "FirmwareActivationRequiresControllerLevelReset",
        0x1,
        0x11,
        "Firmware Activation Requires Controller Level Reset",
      ],
      [
        "FirmwareActivationRequiresMaximumTimeViolation",
        0x1,
        0x12,
        "Firmware Activation Requires Maximum Time Violation",
      ],
      ["FirmwareActivationProhibited", 0x1, 0x13, "Firmware Activation Prohibited"],
      ["OverlappingRange", 0x1, 0x14, "Overlapping Range"],
      ["BootPartitionWriteProhibited", 0x1, 0x1e, "Boot Partition Write Prohibited"],
      ["InvalidOpcode", 0x0, 0x01, "Invalid Command Opcode"],
      ["FeatureNotNamespaceSpecific", 0x1, 0x0f, "Feature Not Namespace Specific"],
    ];
    for (const [key, sct, sc, name] of table) {
      expect(Status[key]).toEqual({ sct, sc });
      expect(statusName({ sct, sc })).toBe(name);
    }
  });

  it("has one name per SCT/SC pair and a text for every key", () => {
    const pairs = new Set(Object.values(Status).map(({ sct, sc }) => sct * 256 + sc));
    expect(pairs.size).toBe(Object.keys(Status).length);
    expect(Object.keys(STATUS_TEXT).sort()).toEqual(Object.keys(Status).sort());
    expect(Object.isFrozen(Status)).toBe(true);
  });

  it("formats SCT/SC the way the spec writes them", () => {
    expect(formatStatusCode(Status.BootPartitionWriteProhibited)).toBe("SCT 1h / SC 1Eh");
    expect(formatStatusCode(Status.InvalidField)).toBe("SCT 0h / SC 02h");
    expect(statusKeyName({ sct: 1, sc: 0x1e })).toBe("BootPartitionWriteProhibited");
    expect(statusName({ sct: StatusCodeType.CommandSpecific, sc: 0x7f })).toBe("Unknown Status");
  });

  it("packs SC 7:0, SCT 10:8, CRD 12:11, More 13, DNR 14", () => {
    const status = { sct: 1, sc: 0x1e, crd: 2, more: true, dnr: true };
    expect(statusFieldCodec.encode(status)).toBe(0x011e | (2 << 11) | (1 << 13) | (1 << 14));
    expect(statusFieldCodec.decode(statusFieldCodec.encode(status))).toEqual(status);
  });

  it("treats only 0h/00h as success", () => {
    expect(isSuccess(Status.Success)).toBe(true);
    expect(isSuccess({ sct: 1, sc: 0 })).toBe(false);
    expect(isSameStatus(Status.InvalidField, { sct: 0, sc: 2 })).toBe(true);
  });
});
