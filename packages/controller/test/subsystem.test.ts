import { CommitAction, cstsCodec, RegisterOffset } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { commit, download, getWriteProtection, setWriteProtection } from "./flows.js";
import { createRig, PAGE, pattern, type Rig, readBp, statusOf } from "./harness.js";

/**
 * Issue 8 item 11 / MC-43: the BPs, ABPID and their write-protection state are one subsystem
 * shared by every controller attached to the same store. A lock set through one controller binds
 * the others; a Controller Level Reset of one never changes it; a power cycle relocks it.
 */

const REPLACE = CommitAction.ReplaceBootPartition;
const WLUPC_BOTH = 0x1b;
const UNLOCK_BOTH = 0x09;
const WLUPC_BOTH_DW0 = 0x1b;
const LOCKED_BOTH_DW0 = 0x12;
const UNLOCKED_BOTH_DW0 = 0x09;

/** Two controllers, each with its own host, on one Boot Partition store. */
function twoControllers(): { a: Rig; b: Rig } {
  const a = createRig();
  const b = createRig({ store: a.store });
  a.host.enable();
  b.host.enable();
  return { a, b };
}

function stageAndCommit(rig: Rig, bpid: 0 | 1, seed: number): string {
  for (const cqe of download(rig, pattern(PAGE, seed), PAGE)) expect(statusOf(cqe)).toBe("0h/00h");
  return statusOf(commit(rig, REPLACE, bpid));
}

function reenable(rig: Rig): void {
  rig.host.forgetQueues();
  rig.host.enable();
}

describe("two controllers on one Boot Partition store share the lock state (MC-43)", () => {
  it("A sets WLUPC: B's unlock → 1h/0Eh, B's commit → 1h/1Eh, B's resets do not unlock", () => {
    const { a, b } = twoControllers();
    expect(statusOf(setWriteProtection(a, WLUPC_BOTH))).toBe("0h/00h");
    expect(getWriteProtection(b).dw0).toBe(WLUPC_BOTH_DW0);
    expect(statusOf(setWriteProtection(b, UNLOCK_BOTH))).toBe("1h/0Eh");
    const before = readBp(b, 0);
    expect(stageAndCommit(b, 0, 1)).toBe("1h/1Eh");
    expect(readBp(b, 0)).toEqual(before);

    b.controller.controllerReset();
    reenable(b);
    expect(getWriteProtection(b).dw0).toBe(WLUPC_BOTH_DW0);
    b.controller.mmioWrite32(RegisterOffset.CC, 0);
    reenable(b);
    expect(statusOf(setWriteProtection(b, UNLOCK_BOTH))).toBe("1h/0Eh");
    expect(stageAndCommit(b, 1, 2)).toBe("1h/1Eh");
    expect(getWriteProtection(a).dw0).toBe(WLUPC_BOTH_DW0);
  });

  it("B's unlock lets A commit, and A's reset keeps it unlocked (MC-40)", () => {
    const { a, b } = twoControllers();
    expect(statusOf(setWriteProtection(b, UNLOCK_BOTH))).toBe("0h/00h");
    a.controller.controllerReset();
    reenable(a);
    expect(getWriteProtection(a).dw0).toBe(UNLOCKED_BOTH_DW0);
    expect(stageAndCommit(a, 0, 3)).toBe("0h/00h");
    expect(readBp(b, 0).subarray(0, PAGE)).toEqual(pattern(PAGE, 3));
  });

  it("a power cycle through either controller relocks the subsystem and resets every controller", () => {
    const { a, b } = twoControllers();
    expect(statusOf(setWriteProtection(a, WLUPC_BOTH))).toBe("0h/00h");
    a.controller.powerCycle();
    expect(cstsCodec.decode(b.controller.mmioRead32(RegisterOffset.CSTS)).rdy).toBe(false);
    expect(b.events.some((event) => event.kind === "power-cycle")).toBe(true);
    reenable(a);
    reenable(b);
    expect(getWriteProtection(a).dw0).toBe(LOCKED_BOTH_DW0);
    expect(getWriteProtection(b).dw0).toBe(LOCKED_BOTH_DW0);
    expect(statusOf(setWriteProtection(b, UNLOCK_BOTH))).toBe("0h/00h");
    expect(getWriteProtection(a).dw0).toBe(UNLOCKED_BOTH_DW0);
  });

  it("refuses a second controller whose RPMB configuration differs from the subsystem's", () => {
    const a = createRig();
    expect(() =>
      createRig({ store: a.store, config: { rpmb: { enabled: true, locked: [true, true] } } }),
    ).toThrow(expect.objectContaining({ code: "CONFIG_INVALID", field: "config.rpmb" }));
  });

  it("separate stores are separate subsystems", () => {
    const a = createRig();
    const c = createRig();
    a.host.enable();
    c.host.enable();
    expect(statusOf(setWriteProtection(a, UNLOCK_BOTH))).toBe("0h/00h");
    expect(getWriteProtection(c).dw0).toBe(LOCKED_BOTH_DW0);
  });
});
