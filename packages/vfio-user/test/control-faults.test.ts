// Store faults armed through the FaultInjector reach the guest as NVMe statuses: a Firmware Commit
// whose store write fails is Internal Error, the BP keeps its old image and the staged image is
// gone (MC-13), and the fault fires exactly `count` times.
import { createMemoryStore } from "@bplab/controller";
import { NvmeHostDriver } from "@bplab/host";
import { createInProcessTarget } from "@bplab/in-process-target";
import { BpWriteProtectionState, CommitAction } from "@bplab/nvme-spec";
import { expect, it } from "vitest";
import { FaultInjector } from "../src/index.js";

const BP_BYTES = 128 * 1024;
const IMAGE = new Uint8Array(64 * 1024).fill(0xa5);

it("bp-commit-error: Internal Error, old image kept, staging dropped, then commits work again", async () => {
  const faults = new FaultInjector();
  const memory = createMemoryStore({ bpSizeBytes: BP_BYTES });
  const target = createInProcessTarget({
    store: { bootPartitions: faults.wrapBootPartitions(memory.bootPartitions) },
  });
  const driver = await NvmeHostDriver.attach(target);
  expect((await driver.setBpLock(1, BpWriteProtectionState.WriteUnlocked)).ok).toBe(true);
  expect((await driver.firmwareImageDownload(IMAGE, 4096)).ok).toBe(true);
  faults.arm("bp-commit-error", 1);

  const failed = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1);
  expect(failed.status).toBe("0h/06h"); // Internal Error
  const bp1 = new Uint8Array(BP_BYTES);
  memory.bootPartitions.readBp(1, 0, bp1);
  expect(bp1.every((byte) => byte === 0)).toBe(true);
  // MC-13: the staged image went with the failed commit.
  expect((await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1)).status).toBe("1h/07h");
  expect(faults.snapshot()).toEqual({ armed: {}, fired: { "bp-commit-error": 1 } });

  expect((await driver.firmwareImageDownload(IMAGE, 4096)).ok).toBe(true);
  expect((await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1)).ok).toBe(true);
  memory.bootPartitions.readBp(1, 0, bp1);
  expect(bp1.subarray(0, IMAGE.length)).toEqual(IMAGE);
});
