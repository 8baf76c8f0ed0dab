import { bpinfoCodec, buildFirmwareImageDownload, CommitAction, RegisterOffset } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { commit, download, setWriteProtection } from "./flows.js";
import { createRig, expectBpHolds, PAGE, pattern, type Rig, readBp, sameBytes, statusOf } from "./harness.js";

/** Firmware Image Download staging (MC-10..MC-15) and Firmware Commit (MC-20..MC-26). */

function enabledRig(options: Parameters<typeof createRig>[0] = {}): Rig {
  const rig = createRig(options);
  rig.host.enable();
  return rig;
}

function stageImage(rig: Rig, image: Uint8Array, chunk = PAGE): void {
  for (const cqe of download(rig, image, chunk)) expect(statusOf(cqe)).toBe("0h/00h");
}

const UNLOCK_BOTH = 0x09;
const REPLACE = CommitAction.ReplaceBootPartition;

describe("Firmware Commit CA=110b against the lock state (MC-20)", () => {
  for (const [name, cdw11] of [
    ["Write Locked", 0],
    ["Write Locked (explicit 010b)", 0x02],
    ["Write Locked Until Power Cycle", 0x03],
  ] as const) {
    it(`${name}: 1h/1Eh and the BP bytes are unchanged, staged image kept`, () => {
      const rig = enabledRig();
      const before = readBp(rig, 0);
      if (cdw11 !== 0) expect(statusOf(setWriteProtection(rig, cdw11))).toBe("0h/00h");
      stageImage(rig, pattern(2 * PAGE, 1));
      expect(statusOf(commit(rig, REPLACE, 0))).toBe("1h/1Eh");
      expect(sameBytes(readBp(rig, 0), before)).toBe(true);
      expect(rig.store.bootPartitions.stagedLength).toBe(2 * PAGE);
    });
  }

  it("Write Unlocked: the commit replaces the BP, zero-filled past the image (MC-21)", () => {
    const rig = enabledRig();
    setWriteProtection(rig, 0x01);
    const image = pattern(3 * PAGE, 2);
    stageImage(rig, image);
    expect(statusOf(commit(rig, REPLACE, 0))).toBe("0h/00h");
    expectBpHolds(rig, 0, image);
    expect(readBp(rig, 1).every((byte) => byte === 0)).toBe(true);
  });

  it("checks the lock before the staged image: locked and nothing staged → 1h/1Eh (MC-20)", () => {
    const rig = enabledRig();
    expect(statusOf(commit(rig, REPLACE, 1))).toBe("1h/1Eh");
  });

  it("unlocked with nothing staged → Invalid Firmware Image 1h/07h", () => {
    const rig = enabledRig();
    setWriteProtection(rig, UNLOCK_BOTH);
    expect(statusOf(commit(rig, REPLACE, 1))).toBe("1h/07h");
  });

  it("after a 1h/1Eh the host can unlock and commit without downloading again (MC-13)", () => {
    const rig = enabledRig();
    const image = pattern(PAGE, 3);
    stageImage(rig, image);
    expect(statusOf(commit(rig, REPLACE, 1))).toBe("1h/1Eh");
    setWriteProtection(rig, 0x08);
    expect(statusOf(commit(rig, REPLACE, 1))).toBe("0h/00h");
    expect(sameBytes(readBp(rig, 1).subarray(0, PAGE), image)).toBe(true);
  });

  it("a successful commit consumes the image: a second commit → 1h/07h (MC-13)", () => {
    const rig = enabledRig();
    setWriteProtection(rig, UNLOCK_BOTH);
    stageImage(rig, pattern(PAGE, 4));
    expect(statusOf(commit(rig, REPLACE, 0))).toBe("0h/00h");
    expect(statusOf(commit(rig, REPLACE, 1))).toBe("1h/07h");
    expect(rig.store.bootPartitions.stagedLength).toBe(0);
  });

  it("ignores FS for CA=110b (MC-24) and reports MUD bits as 0 (MC-26)", () => {
    const rig = enabledRig();
    setWriteProtection(rig, UNLOCK_BOTH);
    stageImage(rig, pattern(PAGE, 5));
    const cqe = commit(rig, REPLACE, 0, 7);
    expect(statusOf(cqe)).toBe("0h/00h");
    expect(cqe.dw0).toBe(0);
  });
});

describe("Firmware Commit CA=111b (MC-23)", () => {
  it("switches ABPID on a locked BP without a staged image; ABPID survives power cycle", () => {
    const rig = enabledRig();
    expect(bpinfoCodec.decode(rig.controller.mmioRead32(RegisterOffset.BPINFO)).abpid).toBe(0);
    expect(statusOf(commit(rig, CommitAction.ActivateBootPartition, 1))).toBe("0h/00h");
    expect(bpinfoCodec.decode(rig.controller.mmioRead32(RegisterOffset.BPINFO)).abpid).toBe(1);
    rig.controller.powerCycle();
    expect(bpinfoCodec.decode(rig.controller.mmioRead32(RegisterOffset.BPINFO)).abpid).toBe(1);
    rig.host.forgetQueues();
    rig.host.enable();
    expect(statusOf(commit(rig, CommitAction.ActivateBootPartition, 0))).toBe("0h/00h");
    expect(rig.store.bootPartitions.activeBpid).toBe(0);
  });
});

describe("firmware slot actions with FRMW=03h (MC-25)", () => {
  const cases: Array<[string, number, number, string]> = [
    ["CA=000b FS=0", CommitAction.ReplaceSlot, 0, "1h/06h"],
    ["CA=000b FS=1", CommitAction.ReplaceSlot, 1, "1h/06h"],
    ["CA=001b FS=1", CommitAction.ReplaceAndActivateOnReset, 1, "1h/06h"],
    ["CA=011b FS=0", CommitAction.ReplaceAndActivateNow, 0, "1h/06h"],
    ["CA=001b FS=2 (above NOFS)", CommitAction.ReplaceAndActivateOnReset, 2, "1h/06h"],
    ["CA=010b FS=0", CommitAction.ActivateOnReset, 0, "0h/00h"],
    ["CA=010b FS=1", CommitAction.ActivateOnReset, 1, "0h/00h"],
    ["CA=010b FS=2 (above NOFS)", CommitAction.ActivateOnReset, 2, "1h/06h"],
    ["CA=100b (reserved)", 0b100, 0, "0h/02h"],
    ["CA=101b (reserved)", 0b101, 1, "0h/02h"],
  ];
  for (const [name, ca, fs, expected] of cases) {
    it(`${name} → ${expected}`, () => {
      const rig = enabledRig();
      // Built by hand: the nvme-spec builder refuses reserved CA values.
      const cdw10 = (ca << 3) | fs;
      const cqe = rig.host.submit({
        ...buildFirmwareImageDownload({ numd: 0, ofst: 0, prp1: 0n }),
        opcode: 0x10,
        cdw10,
        cdw11: 0,
      });
      expect(statusOf(cqe)).toBe(expected);
    });
  }
});

describe("Firmware Image Download staging rules", () => {
  it("rejects a piece below the staged end with Overlapping Range 1h/14h (MC-11)", () => {
    const rig = enabledRig();
    stageImage(rig, pattern(2 * PAGE, 6));
    const [overlap] = download(rig, pattern(PAGE, 7), PAGE, { startOffset: PAGE });
    expect(statusOf(overlap!)).toBe("1h/14h");
    expect(rig.store.bootPartitions.stagedLength).toBe(2 * PAGE);
  });

  it("rejects a gap with Invalid Field 0h/02h (MC-11)", () => {
    const rig = enabledRig();
    const [gap] = download(rig, pattern(PAGE, 8), PAGE, { startOffset: PAGE });
    expect(statusOf(gap!)).toBe("0h/02h");
    expect(rig.store.bootPartitions.stagedLength).toBe(0);
  });

  it("enforces FWUG granularity on offset and size (MC-12)", () => {
    const rig = enabledRig({ config: { fwug: 2 } });
    const [small] = download(rig, pattern(PAGE, 9), PAGE);
    expect(statusOf(small!)).toBe("0h/02h");
    const [ok] = download(rig, pattern(2 * PAGE, 9), 2 * PAGE);
    expect(statusOf(ok!)).toBe("0h/00h");
  });

  for (const fwug of [0x00, 0xff]) {
    it(`FWUG=${fwug.toString(16)}h accepts any dword multiple (MC-12)`, () => {
      const rig = enabledRig({ config: { fwug } });
      const results = download(rig, pattern(12, 10), 8);
      expect(results.map(statusOf)).toEqual(["0h/00h", "0h/00h"]);
      expect(rig.store.bootPartitions.stagedLength).toBe(12);
    });
  }

  it("rejects a piece that would end past the BP size with Invalid Field (MC-10)", () => {
    const rig = enabledRig({ config: { fwug: 0 } });
    const bpSize = rig.store.bootPartitions.bpSizeBytes;
    stageImage(rig, pattern(bpSize - PAGE, 11), 64 * 1024 - PAGE);
    const [past] = download(rig, pattern(2 * PAGE, 12), 2 * PAGE, { startOffset: bpSize - PAGE });
    expect(statusOf(past!)).toBe("0h/02h");
  });

  it("rejects a piece above MDTS with Invalid Field (MC-53 rule for data transfers)", () => {
    const rig = enabledRig({ config: { mdts: 1 }, bpSizeBytes: 2 * 128 * 1024 });
    const [tooBig] = download(rig, pattern(4 * PAGE, 13), 4 * PAGE);
    expect(statusOf(tooBig!)).toBe("0h/02h");
  });

  it("the first download after a completed commit starts a new image (MC-13)", () => {
    const rig = enabledRig();
    stageImage(rig, pattern(PAGE, 14));
    expect(statusOf(commit(rig, REPLACE, 0))).toBe("1h/1Eh");
    // Continuing at the old staged end is now a gap: the old image was discarded.
    const [continued] = download(rig, pattern(PAGE, 15), PAGE, { startOffset: PAGE });
    expect(statusOf(continued!)).toBe("0h/02h");
    expect(rig.store.bootPartitions.stagedLength).toBe(0);
    const [fresh] = download(rig, pattern(PAGE, 16), PAGE);
    expect(statusOf(fresh!)).toBe("0h/00h");
  });

  it("a Controller Level Reset discards the staged image (MC-14)", () => {
    const rig = enabledRig();
    setWriteProtection(rig, UNLOCK_BOTH);
    stageImage(rig, pattern(PAGE, 17));
    rig.controller.mmioWrite32(RegisterOffset.CC, 0);
    rig.host.forgetQueues();
    rig.host.enable();
    expect(rig.store.bootPartitions.stagedLength).toBe(0);
    expect(statusOf(commit(rig, REPLACE, 0))).toBe("1h/07h");
  });

  it("an unmapped data buffer → Data Transfer Error 0h/04h and nothing staged", () => {
    const rig = enabledRig();
    const outside = BigInt(rig.memory.bytes.length);
    const cqe = rig.host.submit(buildFirmwareImageDownload({ numd: PAGE / 4 - 1, ofst: 0, prp1: outside }));
    expect(statusOf(cqe)).toBe("0h/04h");
    expect(rig.store.bootPartitions.stagedLength).toBe(0);
  });

  it("accepts and traces a non-zero CDW12 (MC-15)", () => {
    const rig = enabledRig();
    const [cqe] = download(rig, pattern(PAGE, 18), PAGE, { cdw12: 1 });
    expect(statusOf(cqe!)).toBe("0h/00h");
    expect(rig.events.find((event) => event.kind === "fw.download.cdw12")).toMatchObject({ cdw12: 1 });
  });
});

describe("a download at OFST=0 restarts the image (MC-11, issue 8 item 7c)", () => {
  it("an aborted download restarts at 0 without a commit or reset; the commit holds only the second image", () => {
    const rig = enabledRig();
    setWriteProtection(rig, UNLOCK_BOTH);
    stageImage(rig, pattern(3 * PAGE, 30));
    const second = pattern(2 * PAGE, 31);
    stageImage(rig, second);
    expect(rig.store.bootPartitions.stagedLength).toBe(2 * PAGE);
    expect(statusOf(commit(rig, REPLACE, 0))).toBe("0h/00h");
    expectBpHolds(rig, 0, second);
    expect(
      rig.events.some(
        (event) => event.kind === "fw.staging.discarded" && String(event.cause).includes("OFST=0"),
      ),
    ).toBe(true);
  });

  it("a rejected piece at 0 (past the staging capacity) keeps what was staged", () => {
    const rig = enabledRig({ memoryBytes: 8 * 1024 * 1024 });
    stageImage(rig, pattern(2 * PAGE, 32));
    const tooBig = pattern(rig.store.bootPartitions.bpSizeBytes + PAGE, 33);
    const [rejected] = download(rig, tooBig, tooBig.length);
    expect(statusOf(rejected!)).toBe("0h/02h");
    expect(rig.store.bootPartitions.stagedLength).toBe(2 * PAGE);
  });

  it("0 < OFST < staged end is still Overlapping Range 1h/14h", () => {
    const rig = enabledRig();
    stageImage(rig, pattern(3 * PAGE, 34));
    const [overlap] = download(rig, pattern(PAGE, 35), PAGE, { startOffset: 2 * PAGE });
    expect(statusOf(overlap!)).toBe("1h/14h");
    expect(rig.store.bootPartitions.stagedLength).toBe(3 * PAGE);
  });
});
