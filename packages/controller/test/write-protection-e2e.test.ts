import { formatBpwps, BpWriteProtectionState as S } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { getWriteProtection, setWriteProtection } from "./flows.js";
import { createRig, type Rig, statusOf } from "./harness.js";

/**
 * The §7.2 table again, end to end: states reached with Set Features, events sent as commands,
 * CC.EN 1→0, controllerReset() and powerCycle(), results read back with Get Features (SEL=000b).
 */

type Row = "Write Locked" | "Write Unlocked" | "WLUPC" | "RPMB";
const SETUP: Record<Row, number | undefined> = {
  "Write Locked": undefined,
  "Write Unlocked": S.WriteUnlocked,
  WLUPC: S.WriteLockedUntilPowerCycle,
  RPMB: undefined,
};
const START: Record<Row, number> = {
  "Write Locked": S.WriteLocked,
  "Write Unlocked": S.WriteUnlocked,
  WLUPC: S.WriteLockedUntilPowerCycle,
  RPMB: S.RpmbControlled,
};
/** Expected [status, state after] for Set 000b..111b, per row. */
const SET_EXPECTATIONS: Record<Row, Array<[string, number]>> = {
  "Write Locked": [
    ["0h/00h", S.WriteLocked],
    ["0h/00h", S.WriteUnlocked],
    ["0h/00h", S.WriteLocked],
    ["0h/00h", S.WriteLockedUntilPowerCycle],
  ],
  "Write Unlocked": [
    ["0h/00h", S.WriteUnlocked],
    ["0h/00h", S.WriteUnlocked],
    ["0h/00h", S.WriteLocked],
    ["0h/00h", S.WriteLockedUntilPowerCycle],
  ],
  WLUPC: [
    ["0h/00h", S.WriteLockedUntilPowerCycle],
    ["1h/0Eh", S.WriteLockedUntilPowerCycle],
    ["1h/0Eh", S.WriteLockedUntilPowerCycle],
    ["0h/00h", S.WriteLockedUntilPowerCycle],
  ],
  RPMB: [
    ["0h/00h", S.RpmbControlled],
    ["1h/0Eh", S.RpmbControlled],
    ["1h/0Eh", S.RpmbControlled],
    ["1h/0Eh", S.RpmbControlled],
  ],
};
const RESERVED_SET_VALUES = [0b100, 0b101, 0b110, 0b111];
const POWER_CYCLE_RESULT: Record<Row, number> = {
  "Write Locked": S.WriteLocked,
  "Write Unlocked": S.WriteLocked,
  WLUPC: S.WriteLocked,
  RPMB: S.RpmbControlled,
};

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
      SET_EXPECTATIONS[row].forEach(([status, after], value) => {
        it(`${row}, BP${bpid}: Set ${formatBpwps(value)} → ${status}`, () => {
          const rig = rigIn(row, bpid);
          const otherBefore = stateOf(rig, other);
          expect(statusOf(setWriteProtection(rig, value << (3 * bpid)))).toBe(status);
          expect(stateOf(rig, bpid)).toBe(after);
          expect(stateOf(rig, other)).toBe(otherBefore);
        });
      });
      for (const value of RESERVED_SET_VALUES) {
        it(`${row}, BP${bpid}: Set ${formatBpwps(value)} → Invalid Field, nothing changes`, () => {
          const rig = rigIn(row, bpid);
          expect(statusOf(setWriteProtection(rig, value << (3 * bpid)))).toBe("0h/02h");
          expect(stateOf(rig, bpid)).toBe(START[row]);
        });
      }
      it(`${row}, BP${bpid}: CC.EN 1→0 and controllerReset() keep the state`, () => {
        const rig = rigIn(row, bpid);
        rig.controller.mmioWrite32(0x14, 0);
        reenable(rig);
        expect(stateOf(rig, bpid)).toBe(START[row]);
        rig.controller.controllerReset();
        reenable(rig);
        expect(stateOf(rig, bpid)).toBe(START[row]);
      });
      it(`${row}, BP${bpid}: power cycle → ${POWER_CYCLE_RESULT[row] === S.WriteLocked ? "Write Locked" : "RPMB"}`, () => {
        const rig = rigIn(row, bpid);
        rig.controller.powerCycle();
        reenable(rig);
        expect(stateOf(rig, bpid)).toBe(POWER_CYCLE_RESULT[row]);
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
