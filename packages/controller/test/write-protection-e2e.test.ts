import { formatBpwps, formatStatus, BpWriteProtectionState as S, Status } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { LOCK_STATE_TRANSITIONS, type ReportedLockState } from "../src/write-protection.js";
import { getWriteProtection, setWriteProtection } from "./flows.js";
import { createRig, type Rig, statusOf } from "./harness.js";

/**
 * The §7.2 table of src/write-protection.ts again, end to end: states reached with Set Features,
 * events sent as commands, CC.EN 1→0, controllerReset() and powerCycle(), results read back with
 * Get Features (SEL=000b).
 */

type Row = "Write Locked" | "Write Unlocked" | "WLUPC" | "RPMB";
const SETUP: Record<Row, number | undefined> = {
  "Write Locked": undefined,
  "Write Unlocked": S.WriteUnlocked,
  WLUPC: S.WriteLockedUntilPowerCycle,
  RPMB: undefined,
};
const START: Record<Row, ReportedLockState> = {
  "Write Locked": S.WriteLocked,
  "Write Unlocked": S.WriteUnlocked,
  WLUPC: S.WriteLockedUntilPowerCycle,
  RPMB: S.RpmbControlled,
};
const SUCCESS = "0h/00h";

/** Expected [status, state after] for each Set value whose cell is not Invalid Field. */
function setExpectations(row: Row): Array<[number, string, number]> {
  const cells = LOCK_STATE_TRANSITIONS[START[row]].set;
  return cells.flatMap((cell, value): Array<[number, string, number]> => {
    if ("to" in cell) return [[value, SUCCESS, cell.to]];
    if (cell.status === Status.InvalidField) return [];
    return [[value, formatStatus(cell.status), START[row]]];
  });
}

/** The Set values whose cell is Invalid Field: 100b (Get-only) and 101b-111b (reserved). */
function invalidSetValues(row: Row): number[] {
  return LOCK_STATE_TRANSITIONS[START[row]].set.flatMap((cell, value) =>
    "status" in cell && cell.status === Status.InvalidField ? [value] : [],
  );
}

function rigIn(row: Row, bpid: 0 | 1): Rig {
  const rig = createRig(row === "RPMB" ? { config: { rpmb: { enabled: true, locked: [true, true] } } } : {});
  rig.host.enable();
  const setup = SETUP[row];
  if (setup !== undefined) expect(statusOf(setWriteProtection(rig, setup << (3 * bpid)))).toBe("0h/00h");
  return rig;
}

function stateOf(rig: Rig, bpid: 0 | 1): number {
  return (getWriteProtection(rig).dw0 >>> (3 * bpid)) & 0b111;
}

function reenable(rig: Rig): void {
  rig.host.forgetQueues();
  rig.host.enable();
}

describe("§7.2 through the controller", () => {
  for (const row of Object.keys(SETUP) as Row[]) {
    for (const bpid of [0, 1] as const) {
      const other = bpid === 0 ? 1 : 0;
      for (const [value, status, after] of setExpectations(row)) {
        it(`${row}, BP${bpid}: Set ${formatBpwps(value)} → ${status}`, () => {
          const rig = rigIn(row, bpid);
          const otherBefore = stateOf(rig, other);
          expect(statusOf(setWriteProtection(rig, value << (3 * bpid)))).toBe(status);
          expect(stateOf(rig, bpid)).toBe(after);
          expect(stateOf(rig, other)).toBe(otherBefore);
        });
      }
      for (const value of invalidSetValues(row)) {
        it(`${row}, BP${bpid}: Set ${formatBpwps(value)} → Invalid Field, nothing changes`, () => {
          const rig = rigIn(row, bpid);
          expect(statusOf(setWriteProtection(rig, value << (3 * bpid)))).toBe("0h/02h");
          expect(stateOf(rig, bpid)).toBe(START[row]);
        });
      }
      const afterReset = LOCK_STATE_TRANSITIONS[START[row]].controllerReset;
      it(`${row}, BP${bpid}: CC.EN 1→0 and controllerReset() → ${formatBpwps(afterReset)}`, () => {
        const rig = rigIn(row, bpid);
        rig.controller.mmioWrite32(0x14, 0);
        reenable(rig);
        expect(stateOf(rig, bpid)).toBe(afterReset);
        rig.controller.controllerReset();
        reenable(rig);
        expect(stateOf(rig, bpid)).toBe(afterReset);
      });
      const afterPowerCycle = LOCK_STATE_TRANSITIONS[START[row]].powerCycle;
      it(`${row}, BP${bpid}: power cycle → ${formatBpwps(afterPowerCycle)}`, () => {
        const rig = rigIn(row, bpid);
        rig.controller.powerCycle();
        reenable(rig);
        expect(stateOf(rig, bpid)).toBe(afterPowerCycle);
      });
    }
  }

  it("a Set that is valid for one BP and rejected for the other changes neither (all-or-nothing)", () => {
    const rig = createRig();
    rig.host.enable();
    setWriteProtection(rig, S.WriteLockedUntilPowerCycle << 3);
    expect(statusOf(setWriteProtection(rig, S.WriteUnlocked | (S.WriteUnlocked << 3)))).toBe("1h/0Eh");
    expect(getWriteProtection(rig).dw0).toBe(S.WriteLocked | (S.WriteLockedUntilPowerCycle << 3));
  });
});
