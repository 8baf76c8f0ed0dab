import {
  BOOT_PARTITION_UNIT_BYTES,
  BpWriteProtectionState,
  CommitAction,
  firmwareCommitDw0Codec,
  Status,
} from "@bplab/nvme-spec";
import { sha256 } from "./context.js";
import {
  asCommitted,
  bpHashViaLog,
  bpSizeBytes,
  expectCommitRefused,
  expectLocks,
  stageImage,
  testImage,
  writeBootPartition,
} from "./helpers.js";
import type { Scenario } from "./types.js";

const { WriteLocked, WriteUnlocked } = BpWriteProtectionState;

/** Eight BPSZ units (1 MiB per BP): larger than one MDTS transfer, so reads and writes take several commands. */
const MULTI_TRANSFER_BP_BYTES = 8 * BOOT_PARTITION_UNIT_BYTES;

const fullFlow: Scenario = {
  id: "write-flow.full",
  title: "Unlock BP1 → FWUG-sized downloads → commit CA=110b BPID=1 → read back via log and registers → lock",
  request: { bpSizeBytes: MULTI_TRANSFER_BP_BYTES },
  async run(ctx) {
    const driver = await ctx.driver();
    const size = await bpSizeBytes(ctx);
    const image = testImage(size, 0x51);
    const bp0Before = await bpHashViaLog(ctx, 0);
    await expectLocks(ctx, "power-on", { bp0: WriteLocked, bp1: WriteLocked });
    ctx.expectStatus("unlock.status", await driver.setBpLock(1, WriteUnlocked), Status.Success);
    await expectLocks(ctx, "after-unlock", { bp0: WriteLocked, bp1: WriteUnlocked });
    const chunk = await driver.firmwareUpdateGranularityBytes();
    const download = await driver.firmwareImageDownload(image, chunk);
    ctx.expect("download.ok", download.ok, true, download.pieces.at(-1)?.status);
    ctx.expect("download.pieces", download.pieces.length, size / chunk);
    const commit = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1);
    ctx.expectStatus("commit.status", commit, Status.Success);
    ctx.expect("commit.mud", firmwareCommitDw0Codec.decode(commit.dw0).mud, 0, "MC-26: FRMW.SMUD=0");
    const maxTransfer = await driver.maxTransferBytes();
    ctx.expect(
      "log-read.commands",
      Math.ceil(size / maxTransfer) > 1,
      true,
      "the BP spans several MDTS transfers",
    );
    ctx.expect("bp1.via-log.sha256", await bpHashViaLog(ctx, 1), sha256(image));
    const viaRegisters = await driver.bpReadViaRegisters(1, 0, size);
    ctx.expect("bp1.via-registers.status", viaRegisters.status, "BRS=10b");
    ctx.expect("bp1.via-registers.sha256", sha256(viaRegisters.data), sha256(image));
    ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), bp0Before, "BP0 untouched");
    ctx.expectStatus("lock.status", await driver.setBpLock(1, WriteLocked), Status.Success);
    await expectLocks(ctx, "after-lock", { bp0: WriteLocked, bp1: WriteLocked });
    return ctx.observations;
  },
};

const shortImage: Scenario = {
  id: "write-flow.short-image",
  title: "A staged image shorter than the BP replaces it and the rest becomes 00h (MC-21)",
  async run(ctx) {
    const size = await bpSizeBytes(ctx);
    await writeBootPartition(ctx, "full", 0, testImage(size, 0x52));
    const short = testImage(size / 2, 0x53);
    await writeBootPartition(ctx, "short", 0, short);
    ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), sha256(asCommitted(short, size)));
    return ctx.observations;
  },
};

const commitConsumesStaging: Scenario = {
  id: "write-flow.commit-consumes-staging",
  title:
    "A successful CA=110b consumes the staged image: a second commit without a download → 1h/07h (MC-13)",
  async run(ctx) {
    const size = await bpSizeBytes(ctx);
    const image = testImage(size, 0x54);
    await writeBootPartition(ctx, "first", 1, image, { relock: false });
    const driver = await ctx.driver();
    const again = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1);
    ctx.expectStatus("second-commit.status", again, Status.InvalidFirmwareImage);
    const other = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0);
    ctx.expectStatus(
      "commit-to-locked-bp0.status",
      other,
      Status.BootPartitionWriteProhibited,
      "MC-20: lock checked first",
    );
    ctx.expect("bp1.sha256", await bpHashViaLog(ctx, 1), sha256(image));
    return ctx.observations;
  },
};

const failedCommitKeepsStaging: Scenario = {
  id: "write-flow.failed-commit-keeps-staging",
  title:
    "A commit refused with 1h/1Eh keeps the staged image: unlock and commit again without downloading (MC-13)",
  async run(ctx) {
    const driver = await ctx.driver();
    const size = await bpSizeBytes(ctx);
    const image = testImage(size, 0x55);
    await stageImage(ctx, "download.ok", image);
    await expectCommitRefused(ctx, "locked", 1);
    ctx.expectStatus("unlock.status", await driver.setBpLock(1, WriteUnlocked), Status.Success);
    ctx.expectStatus(
      "retry-commit.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1),
      Status.Success,
    );
    ctx.expect("bp1.sha256", await bpHashViaLog(ctx, 1), sha256(image));
    return ctx.observations;
  },
};

export const WRITE_FLOW_SCENARIOS: readonly Scenario[] = [
  fullFlow,
  shortImage,
  commitConsumesStaging,
  failedCommitKeepsStaging,
];
