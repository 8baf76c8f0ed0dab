import {
  BP_IDS,
  bpName,
  bpWriteProtectionCodec,
  buildGetFeatures,
  FeatureId,
  formatBpwps,
  otherBp,
  BpWriteProtectionState as S,
  Status,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import {
  applyWriteProtectionSet,
  type BpLockState,
  type BpLockStates,
  isBpWritable,
  LOCK_STATE_TRANSITIONS,
  type LockStateRow,
  lockStatesAfter,
  POWER_ON_LOCK_STATES,
  type ReportedLockState,
  type RpmbProtection,
  reportedLockState,
} from "../src/write-protection.js";
import { getWriteProtection, setWriteProtection } from "./flows.js";
import { createRig, statusOf } from "./harness.js";

/**
 * Every cell of the §7.2 transition table (docs/spec/boot-partitions.md §7.2), the table in
 * src/write-protection.ts, through the Set rules and the reset and power-cycle transitions for
 * each BP (the other BP's field is 000b); the table itself against the rules §7.1 states in
 * words; then the all-or-nothing rule and Get SEL (MC-30..35).
 */

const ROWS = Object.entries(LOCK_STATE_TRANSITIONS).map(
  ([row, transitions]) =>
    [Number(row) as ReportedLockState, transitions as LockStateRow<ReportedLockState>] as const,
);
const RPMB_ON: RpmbProtection = { enabled: true, locked: [true, false] };
const FIELD_SHIFT = { 0: 0, 1: 3 } as const;
/** Get Features SEL=000b in RPMB mode: 100b for both BPs. */
const RPMB_DW0 = 0x24;

function startingStates(row: ReportedLockState, bpid: 0 | 1): BpLockStates {
  const state: BpLockState = row === S.RpmbControlled ? S.WriteLocked : row;
  // The other BP sits in a different state so a cross-talk bug would show.
  const other = state === S.WriteUnlocked ? S.WriteLocked : S.WriteUnlocked;
  return bpid === 0 ? { bp0: state, bp1: other } : { bp0: other, bp1: state };
}

function reportedDw0(states: BpLockStates, rpmb: RpmbProtection | undefined): number {
  return bpWriteProtectionCodec.encode({
    bp0: reportedLockState(states, 0, rpmb),
    bp1: reportedLockState(states, 1, rpmb),
  });
}

function expectRowState(
  after: BpLockStates,
  bpid: 0 | 1,
  expected: ReportedLockState,
  rpmb: RpmbProtection | undefined,
) {
  if (expected === S.RpmbControlled) expect(reportedDw0(after, rpmb)).toBe(RPMB_DW0);
  else expect(after[bpName(bpid)]).toBe(expected);
}

describe("§7.2 transition table (the Set rules over the table)", () => {
  for (const [row, expected] of ROWS) {
    const rpmb = row === S.RpmbControlled ? RPMB_ON : undefined;
    const rowName = formatBpwps(row);
    for (const bpid of BP_IDS) {
      expected.set.forEach((outcome, value) => {
        it(`${rowName}, BP${bpid}, Set ${formatBpwps(value)}`, () => {
          const start = startingStates(row, bpid);
          const result = applyWriteProtectionSet(start, value << FIELD_SHIFT[bpid], rpmb);
          if ("status" in outcome) {
            expect(result.ok).toBe(false);
            if (!result.ok) expect(result.status).toEqual(outcome.status);
            return;
          }
          expect(result.ok).toBe(true);
          if (!result.ok) return;
          const other = bpName(otherBp(bpid));
          expect(result.next[other]).toBe(start[other]);
          expectRowState(result.next, bpid, outcome.to, rpmb);
        });
      });
      it(`${rowName}, BP${bpid}, Controller Level Reset`, () => {
        const start = startingStates(row, bpid);
        const after = lockStatesAfter("controllerReset", start);
        expectRowState(after, bpid, expected.controllerReset, rpmb);
        expect(after).toEqual(start);
      });
      it(`${rowName}, BP${bpid}, power cycle`, () => {
        const after = lockStatesAfter("powerCycle", startingStates(row, bpid));
        expectRowState(after, bpid, expected.powerCycle, rpmb);
        expect(after).toEqual({ bp0: S.WriteLocked, bp1: S.WriteLocked });
      });
    }
  }
});

describe("the table says what §7.1 says in words", () => {
  const setStates = ROWS.filter(([row]) => row !== S.RpmbControlled);

  it("has one row per state a Get can report and eight Set columns", () => {
    expect(ROWS.map(([row]) => row).sort()).toEqual([
      S.WriteUnlocked,
      S.WriteLocked,
      S.WriteLockedUntilPowerCycle,
      S.RpmbControlled,
    ]);
    for (const [, transitions] of ROWS) expect(transitions.set).toHaveLength(8);
  });

  it("000b changes nothing and 100b-111b are never Set values", () => {
    for (const [row, transitions] of ROWS) {
      expect(transitions.set[0]).toEqual({ to: row });
      for (const value of [0b100, 0b101, 0b110, 0b111]) {
        expect(transitions.set[value]).toEqual({ status: Status.InvalidField });
      }
    }
  });

  it("a Set of 001b/010b/011b reaches that state unless the BP is WLUPC or RPMB-controlled", () => {
    for (const [row, transitions] of setStates) {
      for (const value of [S.WriteUnlocked, S.WriteLocked, S.WriteLockedUntilPowerCycle]) {
        const leavesWlupc = row === S.WriteLockedUntilPowerCycle && value !== S.WriteLockedUntilPowerCycle;
        expect(transitions.set[value]).toEqual(
          leavesWlupc ? { status: Status.FeatureNotChangeable } : { to: value },
        );
      }
    }
    const rpmbSets = LOCK_STATE_TRANSITIONS[S.RpmbControlled].set.slice(1, 4);
    expect(rpmbSets).toEqual([1, 2, 3].map(() => ({ status: Status.FeatureNotChangeable })));
  });

  it("a Controller Level Reset keeps every state; a power cycle locks every Set Features state", () => {
    for (const [row, transitions] of ROWS) {
      expect(transitions.controllerReset).toBe(row);
      expect(transitions.powerCycle).toBe(row === S.RpmbControlled ? row : S.WriteLocked);
    }
  });
});

describe("Set Features FID 85h rules (MC-30..MC-32)", () => {
  const locked = POWER_ON_LOCK_STATES;

  it("unlocks both BPs with CDW11=09h and locks both until power cycle with 1Bh", () => {
    const unlocked = applyWriteProtectionSet(locked, 0x09);
    expect(unlocked).toEqual({ ok: true, next: { bp0: S.WriteUnlocked, bp1: S.WriteUnlocked } });
    const wlupc = applyWriteProtectionSet(locked, 0x1b);
    expect(wlupc).toEqual({
      ok: true,
      next: { bp0: S.WriteLockedUntilPowerCycle, bp1: S.WriteLockedUntilPowerCycle },
    });
  });

  it("checks SV=1 before anything else (MC-30 step 1), even with an invalid field", () => {
    const rig = createRig();
    rig.host.enable();
    expect(statusOf(setWriteProtection(rig, 0x3f, { sv: true }))).toBe("1h/0Dh");
    expect(getWriteProtection(rig).dw0).toBe(0x12);
  });

  it("checks reserved values before RPMB mode and WLUPC (MC-30 steps 2-4)", () => {
    const wlupc: BpLockStates = { bp0: S.WriteLockedUntilPowerCycle, bp1: S.WriteLocked };
    expect(applyWriteProtectionSet(wlupc, 0x01 | (0b101 << 3))).toMatchObject({
      status: Status.InvalidField,
    });
    expect(applyWriteProtectionSet(locked, 0x04 << 3, RPMB_ON)).toMatchObject({
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
      const result = applyWriteProtectionSet(mixed, cdw11);
      expect(result.ok).toBe(false);
    }
  });

  it("ignores reserved CDW11 bits 31:6 (MC-32)", () => {
    const result = applyWriteProtectionSet(locked, 0xffff_ffc0 | 0x09);
    expect(result).toEqual({ ok: true, next: { bp0: S.WriteUnlocked, bp1: S.WriteUnlocked } });
  });

  it("in RPMB mode accepts only 000b for both fields (MC-34)", () => {
    expect(applyWriteProtectionSet(locked, 0, RPMB_ON)).toEqual({
      ok: true,
      next: locked,
    });
    expect(applyWriteProtectionSet(locked, 0x08, RPMB_ON)).toMatchObject({
      status: Status.FeatureNotChangeable,
    });
  });
});

describe("Get Features FID 85h by SEL (MC-33, MC-34), through the controller", () => {
  /** BP0 Write Unlocked, BP1 Write Locked Until Power Cycle. */
  function rigInMixedStates(options: Parameters<typeof createRig>[0] = {}) {
    const rig = createRig(options);
    rig.host.enable();
    setWriteProtection(rig, S.WriteUnlocked | (S.WriteLockedUntilPowerCycle << 3));
    return rig;
  }

  it("returns current, default, saved and capabilities", () => {
    const rig = rigInMixedStates();
    expect(getWriteProtection(rig, 0).dw0).toBe(0x19);
    expect(getWriteProtection(rig, 1).dw0).toBe(0x12);
    expect(getWriteProtection(rig, 2).dw0).toBe(0x12);
    expect(getWriteProtection(rig, 3).dw0).toBe(0x04);
  });

  it("rejects reserved SEL values", () => {
    const rig = rigInMixedStates();
    const fid = FeatureId.BootPartitionWriteProtection;
    for (const sel of [4, 5, 6, 7]) {
      const reservedSel = { ...buildGetFeatures({ fid }), cdw10: fid | (sel << 8) };
      expect(statusOf(rig.host.submit(reservedSel))).toBe("0h/02h");
    }
  });

  it("reports 100b for both BPs in RPMB mode", () => {
    const rig = rigInMixedStates({ config: { rpmb: { enabled: true, locked: [true, false] } } });
    expect(getWriteProtection(rig, 0).dw0).toBe(RPMB_DW0);
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
