import { bpName, formatBpwps, BpWriteProtectionState as S, Status } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import {
  applyWriteProtectionSet,
  type BpLockState,
  type BpLockStates,
  getWriteProtectionFeature,
  isBpWritable,
  lockStatesAfterControllerReset,
  lockStatesAfterPowerCycle,
  POWER_ON_LOCK_STATES,
  type RpmbProtection,
} from "../src/write-protection.js";

/**
 * Every cell of the spec file's §7.2 transition table, through the pure state machine, for
 * each BP (the other BP's field is 000b), plus the all-or-nothing rule and Get SEL (MC-30..35).
 */

type Row = "Write Locked" | "Write Unlocked" | "WLUPC" | "RPMB";
type Outcome = { to: BpLockState | "RPMB" } | { status: { sct: number; sc: number } };

const ROW_STATE: Record<Exclude<Row, "RPMB">, BpLockState> = {
  "Write Locked": S.WriteLocked,
  "Write Unlocked": S.WriteUnlocked,
  WLUPC: S.WriteLockedUntilPowerCycle,
};

const INVALID = { status: Status.InvalidField };
const NOT_CHANGEABLE = { status: Status.FeatureNotChangeable };

/** §7.2, row by row; columns Set 000b..111b, then Controller Level Reset and power cycle. */
type StateOutcome = { to: BpLockState | "RPMB" };
const TABLE: Record<Row, { set: Outcome[]; controllerReset: StateOutcome; powerCycle: StateOutcome }> = {
  "Write Locked": {
    set: [
      { to: S.WriteLocked },
      { to: S.WriteUnlocked },
      { to: S.WriteLocked },
      { to: S.WriteLockedUntilPowerCycle },
      INVALID,
      INVALID,
      INVALID,
      INVALID,
    ],
    controllerReset: { to: S.WriteLocked },
    powerCycle: { to: S.WriteLocked },
  },
  "Write Unlocked": {
    set: [
      { to: S.WriteUnlocked },
      { to: S.WriteUnlocked },
      { to: S.WriteLocked },
      { to: S.WriteLockedUntilPowerCycle },
      INVALID,
      INVALID,
      INVALID,
      INVALID,
    ],
    controllerReset: { to: S.WriteUnlocked },
    powerCycle: { to: S.WriteLocked },
  },
  WLUPC: {
    set: [
      { to: S.WriteLockedUntilPowerCycle },
      NOT_CHANGEABLE,
      NOT_CHANGEABLE,
      { to: S.WriteLockedUntilPowerCycle },
      INVALID,
      INVALID,
      INVALID,
      INVALID,
    ],
    controllerReset: { to: S.WriteLockedUntilPowerCycle },
    powerCycle: { to: S.WriteLocked },
  },
  RPMB: {
    set: [{ to: "RPMB" }, NOT_CHANGEABLE, NOT_CHANGEABLE, NOT_CHANGEABLE, INVALID, INVALID, INVALID, INVALID],
    controllerReset: { to: "RPMB" },
    powerCycle: { to: "RPMB" },
  },
};

const RPMB_ON: RpmbProtection = { enabled: true, locked: [true, false] };
const FIELD_SHIFT = { 0: 0, 1: 3 } as const;

function startingStates(row: Row, bpid: 0 | 1): BpLockStates {
  const state = row === "RPMB" ? S.WriteLocked : ROW_STATE[row];
  // The other BP sits in a different state so a cross-talk bug would show.
  const other = state === S.WriteUnlocked ? S.WriteLocked : S.WriteUnlocked;
  return bpid === 0 ? { bp0: state, bp1: other } : { bp0: other, bp1: state };
}

describe("§7.2 transition table (pure state machine)", () => {
  for (const [row, expected] of Object.entries(TABLE) as [Row, (typeof TABLE)[Row]][]) {
    const rpmb = row === "RPMB" ? RPMB_ON : undefined;
    for (const bpid of [0, 1] as const) {
      expected.set.forEach((outcome, value) => {
        it(`${row}, BP${bpid}, Set ${formatBpwps(value)}`, () => {
          const start = startingStates(row, bpid);
          const result = applyWriteProtectionSet(
            start,
            { cdw11: value << FIELD_SHIFT[bpid], save: false },
            rpmb,
          );
          if ("status" in outcome) {
            expect(result.ok).toBe(false);
            if (!result.ok) expect(result.status).toEqual(outcome.status);
            return;
          }
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          const other = bpid === 0 ? "bp1" : "bp0";
          expect(result.next[other]).toBe(start[other]);
          if (outcome.to === "RPMB") {
            expect(getWriteProtectionFeature(result.next, 0, rpmb)).toEqual({ ok: true, dw0: 0x24 });
          } else {
            expect(result.next[bpName(bpid)]).toBe(outcome.to);
          }
        });
      });
      it(`${row}, BP${bpid}, Controller Level Reset`, () => {
        const start = startingStates(row, bpid);
        const after = lockStatesAfterControllerReset(start);
        if (expected.controllerReset.to === "RPMB") {
          expect(getWriteProtectionFeature(after, 0, rpmb)).toEqual({ ok: true, dw0: 0x24 });
        } else {
          expect(after[bpName(bpid)]).toBe(expected.controllerReset.to);
        }
        expect(after).toEqual(start);
      });
      it(`${row}, BP${bpid}, power cycle`, () => {
        const after = lockStatesAfterPowerCycle(startingStates(row, bpid));
        if (expected.powerCycle.to === "RPMB") {
          expect(getWriteProtectionFeature(after, 0, rpmb)).toEqual({ ok: true, dw0: 0x24 });
        } else {
          expect(after[bpName(bpid)]).toBe(expected.powerCycle.to);
        }
        expect(after).toEqual({ bp0: S.WriteLocked, bp1: S.WriteLocked });
      });
    }
  }
});

describe("Set Features FID 85h rules (MC-30..MC-32)", () => {
  const locked = POWER_ON_LOCK_STATES;

  it("unlocks both BPs with CDW11=09h and locks both until power cycle with 1Bh", () => {
    const unlocked = applyWriteProtectionSet(locked, { cdw11: 0x09, save: false });
    expect(unlocked).toEqual({ ok: true, next: { bp0: S.WriteUnlocked, bp1: S.WriteUnlocked } });
    const wlupc = applyWriteProtectionSet(locked, { cdw11: 0x1b, save: false });
    expect(wlupc).toEqual({
      ok: true,
      next: { bp0: S.WriteLockedUntilPowerCycle, bp1: S.WriteLockedUntilPowerCycle },
    });
  });

  it("checks SV=1 before anything else (MC-30 step 1), even with an invalid field", () => {
    const result = applyWriteProtectionSet(locked, { cdw11: 0x3f, save: true });
    expect(result).toMatchObject({ ok: false, status: Status.FeatureIdentifierNotSaveable });
  });

  it("checks reserved values before RPMB mode and WLUPC (MC-30 steps 2-4)", () => {
    const wlupc: BpLockStates = { bp0: S.WriteLockedUntilPowerCycle, bp1: S.WriteLocked };
    expect(applyWriteProtectionSet(wlupc, { cdw11: 0x01 | (0b101 << 3), save: false })).toMatchObject({
      status: Status.InvalidField,
    });
    expect(applyWriteProtectionSet(locked, { cdw11: 0x04 << 3, save: false }, RPMB_ON)).toMatchObject({
      status: Status.InvalidField,
    });
  });

  it("is all-or-nothing: one rejected field leaves both BPs as they were", () => {
    const mixed: BpLockStates = { bp0: S.WriteLocked, bp1: S.WriteLockedUntilPowerCycle };
    for (const cdw11 of [
      0x01 | (0b001 << 3),
      0x01 | (0b010 << 3),
      0x02 | (0b100 << 3),
      0x03 | (0b111 << 3),
    ]) {
      const result = applyWriteProtectionSet(mixed, { cdw11, save: false });
      expect(result.ok).toBe(false);
    }
  });

  it("ignores reserved CDW11 bits 31:6 (MC-32)", () => {
    const result = applyWriteProtectionSet(locked, { cdw11: 0xffff_ffc0 | 0x09, save: false });
    expect(result).toEqual({ ok: true, next: { bp0: S.WriteUnlocked, bp1: S.WriteUnlocked } });
  });

  it("in RPMB mode accepts only 000b for both fields (MC-34)", () => {
    expect(applyWriteProtectionSet(locked, { cdw11: 0, save: false }, RPMB_ON)).toEqual({
      ok: true,
      next: locked,
    });
    expect(applyWriteProtectionSet(locked, { cdw11: 0x08, save: false }, RPMB_ON)).toMatchObject({
      status: Status.FeatureNotChangeable,
    });
  });
});

describe("Get Features FID 85h by SEL (MC-33, MC-34)", () => {
  const states: BpLockStates = { bp0: S.WriteUnlocked, bp1: S.WriteLockedUntilPowerCycle };

  it("returns current, default, saved and capabilities", () => {
    expect(getWriteProtectionFeature(states, 0)).toEqual({ ok: true, dw0: 0x19 });
    expect(getWriteProtectionFeature(states, 1)).toEqual({ ok: true, dw0: 0x12 });
    expect(getWriteProtectionFeature(states, 2)).toEqual({ ok: true, dw0: 0x12 });
    expect(getWriteProtectionFeature(states, 3)).toEqual({ ok: true, dw0: 0x04 });
  });

  it("rejects reserved SEL values", () => {
    for (const sel of [4, 5, 6, 7]) {
      expect(getWriteProtectionFeature(states, sel)).toMatchObject({
        ok: false,
        status: Status.InvalidField,
      });
    }
  });

  it("reports 100b for both BPs in RPMB mode", () => {
    expect(getWriteProtectionFeature(states, 0, RPMB_ON)).toEqual({ ok: true, dw0: 0x24 });
  });
});

describe("writability (what Firmware Commit CA=110b checks)", () => {
  it("allows writing only a Write Unlocked BP", () => {
    const states: BpLockStates = { bp0: S.WriteUnlocked, bp1: S.WriteLocked };
    expect(isBpWritable(states, 0)).toBe(true);
    expect(isBpWritable(states, 1)).toBe(false);
    expect(isBpWritable({ bp0: S.WriteLockedUntilPowerCycle, bp1: S.WriteLocked }, 0)).toBe(false);
  });

  it("takes writability from the RPMB lock bits in RPMB mode (MC-34)", () => {
    expect(isBpWritable(POWER_ON_LOCK_STATES, 0, RPMB_ON)).toBe(false);
    expect(isBpWritable(POWER_ON_LOCK_STATES, 1, RPMB_ON)).toBe(true);
  });
});
