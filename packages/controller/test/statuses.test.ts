import {
  buildCreateIoCq,
  buildCreateIoSq,
  buildFirmwareCommit,
  buildSetFeatures,
  CommitAction,
  FeatureId,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { commit, download, setWriteProtection } from "./flows.js";
import { createRig, PAGE, pattern, type Rig, statusOf } from "./harness.js";
import { STATUSES_NEVER_PRODUCED } from "./status-table.js";

/**
 * Every status of the table in docs/spec/boot-partitions.md §2.3: each one the model can produce, produced by the
 * command that should produce it. The rest are listed with the reason the model never returns
 * them; the property test checks that they never show up in 100k random commands.
 */

function enabled(): Rig {
  const rig = createRig();
  rig.host.enable();
  return rig;
}

const PRODUCED: ReadonlyArray<[string, string, () => string]> = [
  [
    "0h/02h",
    "Invalid Field: Set FID 85h with BP0WPS=100b",
    () => statusOf(setWriteProtection(enabled(), 0b100)),
  ],
  [
    "0h/0Ch",
    "Command Sequence Error: Number of Queues after I/O queues exist",
    () => {
      const rig = enabled();
      rig.host.submit(buildCreateIoCq({ qid: 1, qsize: 3, prp1: rig.memory.alloc(PAGE) }));
      rig.host.submit(buildCreateIoSq({ qid: 1, qsize: 3, cqid: 1, prp1: rig.memory.alloc(PAGE) }));
      return statusOf(rig.host.submit(buildSetFeatures({ fid: FeatureId.NumberOfQueues, cdw11: 0 })));
    },
  ],
  [
    "1h/06h",
    "Invalid Firmware Slot: CA=000b to the read-only slot 1",
    () => statusOf(enabled().host.submit(buildFirmwareCommit({ ca: CommitAction.ReplaceSlot, fs: 1 }))),
  ],
  [
    "1h/07h",
    "Invalid Firmware Image: CA=110b to an unlocked BP with nothing staged",
    () => {
      const rig = enabled();
      setWriteProtection(rig, 0x01);
      return statusOf(commit(rig, CommitAction.ReplaceBootPartition, 0));
    },
  ],
  [
    "1h/0Dh",
    "Feature Identifier Not Saveable: Set FID 85h with SV=1",
    () => statusOf(setWriteProtection(enabled(), 0x09, { sv: true })),
  ],
  [
    "1h/0Eh",
    "Feature Not Changeable: unlock a BP in Write Locked Until Power Cycle",
    () => {
      const rig = enabled();
      setWriteProtection(rig, 0x03);
      return statusOf(setWriteProtection(rig, 0x01));
    },
  ],
  [
    "1h/14h",
    "Overlapping Range: a download below the staged end",
    () => {
      const rig = enabled();
      download(rig, pattern(2 * PAGE, 1), 2 * PAGE);
      return statusOf(download(rig, pattern(PAGE, 2), PAGE, { startOffset: PAGE })[0]!);
    },
  ],
  [
    "1h/1Eh",
    "Boot Partition Write Prohibited: CA=110b to a Write Locked BP",
    () => {
      const rig = enabled();
      download(rig, pattern(PAGE, 3), PAGE);
      return statusOf(commit(rig, CommitAction.ReplaceBootPartition, 1));
    },
  ],
];

describe("§2.3 status codes", () => {
  for (const [status, what, produce] of PRODUCED) {
    it(`${status} ${what}`, () => {
      expect(produce()).toBe(status);
    });
  }

  it("lists every §2.3 status exactly once, produced or explained", () => {
    const section23 = ["0h/02h", "0h/0Ch", "0h/20h", "1h/06h", "1h/07h", "1h/0Bh", "1h/0Dh", "1h/0Eh"];
    section23.push("1h/10h", "1h/11h", "1h/12h", "1h/13h", "1h/14h", "1h/1Eh");
    const covered = [
      ...PRODUCED.map(([status]) => status),
      ...STATUSES_NEVER_PRODUCED.map(([status]) => status),
    ];
    expect(covered.sort()).toEqual(section23.sort());
  });
});
