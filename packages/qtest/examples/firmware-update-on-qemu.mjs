// A firmware-style test on the patched QEMU nvme device: unlock BP1, download, commit (CA=110b),
// lock, and see the next commit refused with 1h/1Eh. Skips, saying why, without the patched QEMU.
// scratch-deps: @bplab/host @bplab/nvme-spec
import assert from "node:assert/strict";
import { NvmeHostDriver } from "@bplab/host";
import { CommitAction, BpWriteProtectionState as Lock } from "@bplab/nvme-spec";
import { createQemuTarget, findPatchedQemu } from "@bplab/qtest";

const qemu = await findPatchedQemu().catch((error) => error);
if (qemu instanceof Error) {
  console.log(`skipped @bplab/qtest: ${qemu.message}`);
  process.exit(0);
}
const target = await createQemuTarget({ binary: qemu.path, bootPartition: { bpSizeBytes: 128 * 1024 } });
try {
  const driver = await NvmeHostDriver.attach(target);
  const image = new Uint8Array(128 * 1024).fill(0x5a);
  const chunk = await driver.firmwareUpdateGranularityBytes();
  assert.equal((await driver.setBpLock(1, Lock.WriteUnlocked)).status, "0h/00h");
  assert.ok((await driver.firmwareImageDownload(image, chunk)).ok);
  assert.equal((await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1)).status, "0h/00h");
  assert.equal((await driver.setBpLock(1, Lock.WriteLocked)).status, "0h/00h");
  assert.ok((await driver.firmwareImageDownload(image, chunk)).ok);
  assert.equal((await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1)).status, "1h/1Eh");
  console.log(`ok @bplab/qtest: ${qemu.path}: commit refused with 1h/1Eh once BP1 is locked`);
} finally {
  await target.close();
}
