// A firmware-style test of the controller core: unlock BP1, download an image, commit it
// (CA=110b), lock BP1, and see the next commit refused with 1h/1Eh (BP Write Prohibited).
// scratch-deps: @bplab/host @bplab/in-process-target @bplab/nvme-spec
import assert from "node:assert/strict";
import { createMemoryStore } from "@bplab/controller";
import { NvmeHostDriver } from "@bplab/host";
import { createInProcessTarget } from "@bplab/in-process-target";
import { BpWriteProtectionState, CommitAction } from "@bplab/nvme-spec";

const store = createMemoryStore({ bpSizeBytes: 128 * 1024 });
const driver = await NvmeHostDriver.attach(createInProcessTarget({ store }));
const image = new Uint8Array(128 * 1024).fill(0xa5);
const chunk = await driver.firmwareUpdateGranularityBytes();

assert.equal((await driver.setBpLock(1, BpWriteProtectionState.WriteUnlocked)).status, "0h/00h");
assert.ok((await driver.firmwareImageDownload(image, chunk)).ok);
assert.equal((await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1)).status, "0h/00h");
assert.equal((await driver.setBpLock(1, BpWriteProtectionState.WriteLocked)).status, "0h/00h");
assert.ok((await driver.firmwareImageDownload(image, chunk)).ok);
assert.equal((await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1)).status, "1h/1Eh");
const bp1 = new Uint8Array(16);
store.bootPartitions.readBp(1, 0, bp1);
assert.deepEqual(bp1, image.subarray(0, 16)); // the committed image, untouched by the refused commit
console.log("ok @bplab/controller: unlock, download, commit, lock, then commit fails 1h/1Eh");
