import {
  BpWriteProtectionState,
  CommitAction,
  FWUG_NO_INFORMATION,
  FWUG_NO_RESTRICTION,
  Status,
} from "@bplab/nvme-spec";
import { fwugBytes } from "../driver/nvme-host-driver.js";
import { type ScenarioContext, sha256 } from "./context.js";
import { DOWNSTREAM_ROUTE_HINT_CDW12 } from "./downstream-host.js";
import { bpHashViaLog, bpSizeBytes, setOne, testImage } from "./helpers.js";
import type { Scenario } from "./types.js";

const { WriteUnlocked } = BpWriteProtectionState;

/** The image zero-filled to the BP size: what a BP holds after committing it (MC-21). */
function asCommitted(image: Uint8Array, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(image);
  return bytes;
}

/** Unlocks BP0, the BP every staging scenario writes. */
async function unlockBp0(ctx: ScenarioContext): Promise<void> {
  const set = await (await ctx.driver()).setBpWriteProtection(setOne(0, WriteUnlocked));
  ctx.expectStatus("unlock-bp0.status", set, Status.Success);
}

const overlap: Scenario = {
  id: "staging.overlap",
  title:
    "A piece starting below the end of the staged image → 1h/14h Overlapping Range; staging is kept (MC-11)",
  async run(ctx) {
    const driver = await ctx.driver();
    const size = await bpSizeBytes(ctx);
    const g = await driver.firmwareUpdateGranularityBytes();
    const image = testImage(3 * g, 0xa0);
    await unlockBp0(ctx);
    ctx.expectStatus(
      "piece-0.status",
      await driver.firmwareImageDownloadPiece(image.subarray(0, 2 * g), 0),
      Status.Success,
    );
    ctx.expectStatus(
      "overlapping-piece.status",
      await driver.firmwareImageDownloadPiece(image.subarray(g, 2 * g), g),
      Status.OverlappingRange,
    );
    ctx.expectStatus(
      "next-piece.status",
      await driver.firmwareImageDownloadPiece(image.subarray(2 * g), 2 * g),
      Status.Success,
    );
    ctx.expectStatus(
      "commit.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0),
      Status.Success,
    );
    ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), sha256(asCommitted(image, size)));
    return ctx.observations;
  },
};

const gap: Scenario = {
  id: "staging.gap",
  title:
    "A piece starting past the end of the staged image (a gap), or a first piece not at 0 → Invalid Field (MC-11)",
  async run(ctx) {
    const driver = await ctx.driver();
    const size = await bpSizeBytes(ctx);
    const g = await driver.firmwareUpdateGranularityBytes();
    const image = testImage(2 * g, 0xa1);
    await unlockBp0(ctx);
    ctx.expectStatus(
      "first-piece-at-g.status",
      await driver.firmwareImageDownloadPiece(image.subarray(g), g),
      Status.InvalidField,
    );
    ctx.expectStatus(
      "piece-0.status",
      await driver.firmwareImageDownloadPiece(image.subarray(0, g), 0),
      Status.Success,
    );
    ctx.expectStatus(
      "gap-piece.status",
      await driver.firmwareImageDownloadPiece(image.subarray(g), 2 * g),
      Status.InvalidField,
    );
    ctx.expectStatus(
      "in-order-piece.status",
      await driver.firmwareImageDownloadPiece(image.subarray(g), g),
      Status.Success,
    );
    ctx.expectStatus(
      "commit.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0),
      Status.Success,
    );
    ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), sha256(asCommitted(image, size)));
    return ctx.observations;
  },
};

const granularity: Scenario = {
  id: "staging.fwug",
  title: "With FWUG neither 0h nor FFh, a piece size that is not a FWUG multiple → Invalid Field (MC-12)",
  async run(ctx) {
    const driver = await ctx.driver();
    const { fwug } = await driver.identifyController();
    ctx.record("fwug", fwug);
    if (fwug === FWUG_NO_INFORMATION || fwug === FWUG_NO_RESTRICTION) {
      return ctx.skip(`FWUG is ${fwug}: the controller states no granularity to enforce`);
    }
    const g = fwugBytes(fwug);
    await unlockBp0(ctx);
    const image = testImage(2 * g, 0xa2);
    ctx.expectStatus(
      "half-granule.status",
      await driver.firmwareImageDownloadPiece(image.subarray(0, g / 2), 0),
      Status.InvalidField,
    );
    ctx.expectStatus(
      "one-and-a-half-granules.status",
      await driver.firmwareImageDownloadPiece(image.subarray(0, g + g / 2), 0),
      Status.InvalidField,
    );
    ctx.expectStatus(
      "whole-granules.status",
      await driver.firmwareImageDownloadPiece(image, 0),
      Status.Success,
    );
    return ctx.observations;
  },
};

const capacity: Scenario = {
  id: "staging.capacity",
  title:
    "A piece that would end past one BP of staging → Invalid Field; the full image still commits (MC-10)",
  async run(ctx) {
    const driver = await ctx.driver();
    const size = await bpSizeBytes(ctx);
    const g = await driver.firmwareUpdateGranularityBytes();
    const image = testImage(size, 0xa3);
    await unlockBp0(ctx);
    ctx.expect("full-image.ok", (await driver.firmwareImageDownload(image, g)).ok, true);
    ctx.expectStatus(
      "past-capacity.status",
      await driver.firmwareImageDownloadPiece(testImage(g, 0xa4), size),
      Status.InvalidField,
    );
    ctx.expectStatus(
      "commit.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0),
      Status.Success,
    );
    ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), sha256(image));
    return ctx.observations;
  },
};

const nothingStaged: Scenario = {
  id: "staging.commit-without-download",
  title: "CA=110b with nothing staged → 1h/07h on an unlocked BP, 1h/1Eh on a locked one (lock first, MC-20)",
  async run(ctx) {
    const driver = await ctx.driver();
    await unlockBp0(ctx);
    ctx.expectStatus(
      "unlocked-bp0.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0),
      Status.InvalidFirmwareImage,
    );
    ctx.expectStatus(
      "locked-bp1.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1),
      Status.BootPartitionWriteProhibited,
    );
    return ctx.observations;
  },
};

/** Download a whole image to unlocked BP0, reset somehow, then commit: the staged image is gone (MC-14). */
function discardedBy(
  slug: string,
  what: string,
  reset: (ctx: ScenarioContext) => Promise<void>,
  relock: boolean,
): Scenario {
  return {
    id: `staging.discarded-by-${slug}`,
    title: `${what} discards the staged image: the commit after it → 1h/07h; a new download from 0 works (MC-14)`,
    async run(ctx) {
      const driver = await ctx.driver();
      const size = await bpSizeBytes(ctx);
      const g = await driver.firmwareUpdateGranularityBytes();
      await unlockBp0(ctx);
      ctx.expect("download.ok", (await driver.firmwareImageDownload(testImage(size, 0xa5), g)).ok, true);
      await reset(ctx);
      if (relock)
        ctx.expectStatus(
          "unlock-again.status",
          await driver.setBpWriteProtection(setOne(0, WriteUnlocked)),
          Status.Success,
        );
      ctx.expectStatus(
        "commit.status",
        await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0),
        Status.InvalidFirmwareImage,
      );
      const image = testImage(size, 0xa6);
      ctx.expect("new-download.ok", (await driver.firmwareImageDownload(image, g)).ok, true);
      ctx.expectStatus(
        "new-commit.status",
        await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0),
        Status.Success,
      );
      ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), sha256(image));
      return ctx.observations;
    },
  };
}

const newImageAfterCommit: Scenario = {
  id: "staging.new-image-after-commit",
  title:
    "The first download after a commit (even a refused one) starts a new image at offset 0 (spec §2.1, MC-13)",
  async run(ctx) {
    const driver = await ctx.driver();
    const size = await bpSizeBytes(ctx);
    const g = await driver.firmwareUpdateGranularityBytes();
    const first = testImage(2 * g, 0xa7);
    ctx.expect("first.download.ok", (await driver.firmwareImageDownload(first, g)).ok, true);
    ctx.expectStatus(
      "refused-commit.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1),
      Status.BootPartitionWriteProhibited,
    );
    const second = testImage(g, 0xa8);
    ctx.expectStatus(
      "second.piece-0.status",
      await driver.firmwareImageDownloadPiece(second, 0),
      Status.Success,
      "not 1h/14h: a new image",
    );
    ctx.expectStatus(
      "unlock.status",
      await driver.setBpWriteProtection(setOne(1, WriteUnlocked)),
      Status.Success,
    );
    ctx.expectStatus(
      "commit.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1),
      Status.Success,
    );
    ctx.expect(
      "bp1.sha256",
      await bpHashViaLog(ctx, 1),
      sha256(asCommitted(second, size)),
      "only the second image",
    );
    return ctx.observations;
  },
};

const cdw12Hint: Scenario = {
  id: "staging.cdw12-hint",
  title: "Downloads with the vendor CDW12=1 hint are accepted like any other (CDW12 is reserved, MC-15)",
  async run(ctx) {
    const driver = await ctx.driver();
    const size = await bpSizeBytes(ctx);
    const image = testImage(size, 0xa9);
    await unlockBp0(ctx);
    const download = await driver.firmwareImageDownload(
      image,
      await driver.firmwareUpdateGranularityBytes(),
      {
        cdw12: DOWNSTREAM_ROUTE_HINT_CDW12,
      },
    );
    ctx.expect("download.ok", download.ok, true, download.pieces.at(-1)?.status);
    ctx.expectStatus(
      "commit.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0),
      Status.Success,
    );
    ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), sha256(image));
    return ctx.observations;
  },
};

export const STAGING_SCENARIOS: readonly Scenario[] = [
  overlap,
  gap,
  granularity,
  capacity,
  nothingStaged,
  discardedBy("controller-reset", "CC.EN 1→0", async (ctx) => (await ctx.driver()).controllerReset(), false),
  discardedBy("function-reset", "A function reset (FLR)", (ctx) => ctx.functionReset(), false),
  discardedBy("power-cycle", "A power cycle", (ctx) => ctx.powerCycle(), true),
  newImageAfterCommit,
  cdw12Hint,
];
