import { CommitAction, ccCodec, RegisterOffset } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { commit, download, getWriteProtection } from "./flows.js";
import { createRig, PAGE, pattern, type Rig, statusOf } from "./harness.js";

/**
 * Issue 8 item 10 / MC-34: in RPMB mode a BP unlocked through the RPMB Device Configuration Block
 * is locked again by a Controller Level Reset and by a power cycle (2.2 §8.1.3.3.2), unlike a Set
 * Features unlock, which survives a Controller Level Reset (MC-40).
 */

const REPLACE = CommitAction.ReplaceBootPartition;
const RPMB_CONTROLLED_BOTH = 0x24;

/** BP0 RPMB-unlocked, BP1 RPMB-locked; the host is enabled. */
function rpmbRig(): Rig {
  const rig = createRig({ config: { rpmb: { enabled: true, locked: [false, true] } } });
  rig.host.enable();
  return rig;
}

function stageAndCommit(rig: Rig, bpid: 0 | 1): string {
  for (const cqe of download(rig, pattern(PAGE, 7), PAGE)) expect(statusOf(cqe)).toBe("0h/00h");
  return statusOf(commit(rig, REPLACE, bpid));
}

function ccEnableCycle(rig: Rig): void {
  const cc = rig.controller.mmioRead32(RegisterOffset.CC);
  rig.controller.mmioWrite32(RegisterOffset.CC, ccCodec.encode({ ...ccCodec.decode(cc), en: false }));
  rig.host.forgetQueues();
  rig.host.enable();
}

const RESETS: [string, (rig: Rig) => void][] = [
  ["CC.EN 1→0", ccEnableCycle],
  [
    "a function-level reset",
    (rig) => {
      rig.controller.controllerReset();
      rig.host.forgetQueues();
      rig.host.enable();
    },
  ],
  [
    "a power cycle",
    (rig) => {
      rig.controller.powerCycle();
      rig.host.forgetQueues();
      rig.host.enable();
    },
  ],
];

describe("RPMB mode: an RPMB unlock ends at a reset or a power cycle (MC-34)", () => {
  it("before any reset, the RPMB-unlocked BP0 accepts a commit and BP1 refuses it", () => {
    const rig = rpmbRig();
    expect(stageAndCommit(rig, 0)).toBe("0h/00h");
    expect(stageAndCommit(rig, 1)).toBe("1h/1Eh");
  });

  it.each(RESETS)(
    "after %s BP0 is RPMB-locked again: commit → 1h/1Eh, Get still 100b/100b",
    (_name, reset) => {
      const rig = rpmbRig();
      reset(rig);
      expect(stageAndCommit(rig, 0)).toBe("1h/1Eh");
      expect(getWriteProtection(rig).dw0).toBe(RPMB_CONTROLLED_BOTH);
      expect(rig.events.some((event) => event.kind === "rpmb.relocked" && event.bpid === 0)).toBe(true);
    },
  );
});

describe("writeRpmbBpLocks: an Authenticated DCB write's BPLOCK bits (MC-34)", () => {
  it("unlocks a relocked BP again, until the next reset", () => {
    const rig = rpmbRig();
    ccEnableCycle(rig);
    expect(rig.controller.writeRpmbBpLocks([false, false])).toBe(true);
    expect(stageAndCommit(rig, 1)).toBe("0h/00h");
    ccEnableCycle(rig);
    expect(stageAndCommit(rig, 1)).toBe("1h/1Eh");
  });

  it("changes nothing outside RPMB mode and rejects a malformed argument without throwing", () => {
    const rig = createRig();
    rig.host.enable();
    expect(rig.controller.writeRpmbBpLocks([false, false])).toBe(false);
    expect(stageAndCommit(rig, 0)).toBe("1h/1Eh");
    expect(rpmbRig().controller.writeRpmbBpLocks([false] as unknown as [boolean, boolean])).toBe(false);
  });
});
