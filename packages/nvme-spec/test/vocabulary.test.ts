/**
 * The shared vocabulary other packages import instead of keeping their own copies: BP ids and
 * pairs, the short status form, and the spec's hex and binary notations.
 */
import { describe, expect, it } from "vitest";
import {
  BP_IDS,
  type BpPair,
  BpWriteProtectionState,
  binarySpec,
  bpName,
  bpWriteProtectionForOne,
  formatBpwps,
  formatStatus,
  hexLiteral,
  hexSpec,
  otherBp,
  Status,
} from "../src/index.js";

describe("Boot Partition ids and pairs", () => {
  it("lists BP0 then BP1, so a pair indexed by BpId lines up with BP_IDS", () => {
    expect(BP_IDS).toEqual([0, 1]);
    expect(Object.isFrozen(BP_IDS)).toBe(true);
    const sizes: BpPair<string> = ["bp0.img", "bp1.img"];
    expect(BP_IDS.map((bpid) => sizes[bpid])).toEqual(["bp0.img", "bp1.img"]);
  });

  it("names the other BP and each BP's FID 85h field", () => {
    expect(otherBp(0)).toBe(1);
    expect(otherBp(1)).toBe(0);
    expect(bpName(0)).toBe("bp0");
    expect(bpName(1)).toBe("bp1");
  });
});

describe("bpWriteProtectionForOne", () => {
  it("sets one BP and sends 000b (no change) for the other (docs/spec/boot-partitions.md §8.2)", () => {
    const { NoChange, WriteUnlocked, WriteLockedUntilPowerCycle } = BpWriteProtectionState;
    expect(bpWriteProtectionForOne(0, WriteUnlocked)).toEqual({ bp0: WriteUnlocked, bp1: NoChange });
    expect(bpWriteProtectionForOne(1, WriteLockedUntilPowerCycle)).toEqual({
      bp0: NoChange,
      bp1: WriteLockedUntilPowerCycle,
    });
  });
});

describe("formatStatus", () => {
  it("writes SCT/SC as the transcript and CLI print them, hex digits upper case", () => {
    expect(formatStatus(Status.BootPartitionWriteProhibited)).toBe("1h/1Eh");
    expect(formatStatus(Status.Success)).toBe("0h/00h");
    expect(formatStatus(Status.InvalidField)).toBe("0h/02h");
    expect(formatStatus(Status.AccessDenied)).toBe("2h/86h");
    expect(formatStatus({ sct: 7, sc: 0xc0 })).toBe("7h/C0h");
  });
});

describe("number notations", () => {
  it("binarySpec pads to the field width, as the spec writes 010b", () => {
    expect(binarySpec(2, 3)).toBe("010b");
    expect(binarySpec(2, 2)).toBe("10b");
    expect(binarySpec(0, 2)).toBe("00b");
    expect(binarySpec(6, 3)).toBe("110b");
  });

  it("formatBpwps writes a BPxWPS value in its 3 bits", () => {
    expect(formatBpwps(0b001)).toBe("001b");
    expect(formatBpwps(0b111)).toBe("111b");
  });

  it("hexSpec is the spec form, hexLiteral the C form registers are logged in", () => {
    expect(hexSpec(0x1e)).toBe("1Eh");
    expect(hexLiteral(0x12)).toBe("0x00000012");
    expect(hexLiteral(0xabn, 16)).toBe("0x00000000000000ab");
    expect(hexLiteral(0x85, 1)).toBe("0x85");
  });
});
