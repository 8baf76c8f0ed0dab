import { CommitAction, RegisterOffset } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { commit, download, getWriteProtection, setWriteProtection } from "./flows.js";
import { createRig, pattern, readBp, sameBytes, statusOf } from "./harness.js";

describe("smoke", () => {
  it("enables, unlocks, downloads, commits and reads the BP back", () => {
    const rig = createRig();
    expect(rig.host.enable() & 1).toBe(1);
    expect(getWriteProtection(rig).dw0).toBe(0x12);
    expect(statusOf(setWriteProtection(rig, 0x09))).toBe("0h/00h");
    const image = pattern(rig.store.bootPartitions.bpSizeBytes, 7);
    for (const cqe of download(rig, image, 4096)) expect(statusOf(cqe)).toBe("0h/00h");
    expect(statusOf(commit(rig, CommitAction.ReplaceBootPartition, 1))).toBe("0h/00h");
    expect(sameBytes(readBp(rig, 1), image)).toBe(true);
    expect(rig.controller.mmioRead32(RegisterOffset.BPINFO) & 0x7fff).toBe(1);
  });
});
