import { BpWriteProtectionState } from "@bplab/nvme-spec";
import { KnownVectors } from "@bplab/nvme-spec/testing";
import { describe, expect, it } from "vitest";
import {
  DOWNSTREAM_ROUTE_HINT_CDW12,
  downstreamCommands,
  readModifyWriteCdw11,
} from "../src/scenarios/downstream-host.js";

const { WriteUnlocked, WriteLocked, WriteLockedUntilPowerCycle, RpmbControlled } = BpWriteProtectionState;

describe("the downstream library's encodings, replayed", () => {
  it("commit CDW10 is (BPID << 31) | (110b << 3)", () => {
    expect(downstreamCommands.commit(1).cdw10).toBe(KnownVectors.commitReplaceBp1Cdw10);
    expect(downstreamCommands.commit(0).cdw10).toBe(KnownVectors.commitReplaceBp0Cdw10);
  });

  it("Get Log Page 15h CDW10 is NUMDL << 16 | (BPID & 7Fh) << 8 | 15h, LPO = offset + 16", () => {
    const sqe = downstreamCommands.readBlock(1, 64 * 1024, 0);
    expect(sqe.cdw10).toBe(KnownVectors.getLogBp1Cdw10Numdl3fff);
    expect(sqe.cdw11).toBe(0);
    const third = downstreamCommands.readBlock(0, 4096, 2);
    expect(third.cdw12).toBe(2 * 4096 + 16);
    expect(third.cdw13).toBe(0);
  });

  it("downloads carry NUMD, OFST in dwords and the CDW12=1 route hint", () => {
    const sqe = downstreamCommands.writeBlock(4096, 3);
    expect([sqe.cdw10, sqe.cdw11, sqe.cdw12]).toEqual([
      4096 / 4 - 1,
      (3 * 4096) / 4,
      DOWNSTREAM_ROUTE_HINT_CDW12,
    ]);
  });

  it("Get/Set Features put FID 85h alone in CDW10", () => {
    expect(downstreamCommands.getLockConfig().cdw10).toBe(0x85);
    expect(downstreamCommands.setLockConfig(KnownVectors.bpwpUnlockBothCdw11).cdw11).toBe(0x09);
  });

  it("the read-modify-write sends the other BP's current state back instead of 000b", () => {
    // Power-on 12h, unlock BP1: BP0's 010b goes back with it.
    expect(readModifyWriteCdw11(KnownVectors.bpwpDefaultDw0, 1, WriteUnlocked)).toBe(0x0a);
    // After Set 09h, locking BP1 until power cycle sends BP0's 001b back: 19h.
    expect(readModifyWriteCdw11(KnownVectors.bpwpUnlockBothCdw11, 1, WriteLockedUntilPowerCycle)).toBe(0x19);
    // In RPMB mode Get shows 24h, so the Set carries 100b for BP0, which no Set may carry.
    const rpmbEcho = readModifyWriteCdw11(KnownVectors.bpwpRpmbDw0, 1, WriteUnlocked);
    expect(rpmbEcho & 0b111).toBe(RpmbControlled);
    expect(readModifyWriteCdw11(KnownVectors.bpwpDefaultDw0, 0, WriteLocked)).toBe(
      KnownVectors.bpwpLockBothCdw11,
    );
  });
});
