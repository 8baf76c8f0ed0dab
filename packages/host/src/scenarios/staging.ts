import {
  BpWriteProtectionState,
  CommitAction,
  FWUG_NO_INFORMATION,
  FWUG_NO_RESTRICTION,
  Status,
  type StatusCode,
} from "@bplab/nvme-spec";
import { fwugBytes } from "../driver/nvme-host-driver.js";
import type { ScenarioContext } from "./context.js";
import { DOWNSTREAM_ROUTE_HINT_CDW12 } from "./downstream-host.js";
import { bpSizeBytes, commitAndCheck, expectCommitRefused, stageImage, testImage } from "./helpers.js";
import type { Scenario } from "./types.js";

const { WriteUnlocked } = BpWriteProtectionState;

/** Unlocks BP0, the BP the staging scenarios write. */
async function unlockBp0(ctx: ScenarioContext, field = "unlock-bp0.status"): Promise<void> {
  const set = await (await ctx.driver()).setBpLock(0, WriteUnlocked);
  ctx.expectStatus(field, set, Status.Success);
}

/** One Firmware Image Download piece: image bytes [from, to) sent at byte offset `at`. */
interface Piece {
  name: string;
  from: number;
  to: number;
  at: number;
  status: StatusCode;
}

async function sendPieces(ctx: ScenarioContext, image: Uint8Array, pieces: readonly Piece[]): Promise<void> {
  const driver = await ctx.driver();
  for (const piece of pieces) {
    const outcome = await driver.firmwareImageDownloadPiece(image.subarray(piece.from, piece.to), piece.at);
    ctx.expectStatus(`${piece.name}.status`, outcome, piece.status);
  }
}

/**
 * A staging scenario made of pieces in FWUG units (`g`): unlock BP0, send the pieces, and when
 * `commits` commit and check BP0 holds the whole image.
 */
function piecesScenario(
  id: string,
  title: string,
  seed: number,
  granules: number,
  pieces: (g: number) => Piece[],
  commits = true,
): Scenario {
  return {
    id,
    title,
    async run(ctx) {
      const g = await (await ctx.driver()).firmwareUpdateGranularityBytes();
      const image = testImage(granules * g, seed);
      await unlockBp0(ctx);
      await sendPieces(ctx, image, pieces(g));
      if (commits) await commitAndCheck(ctx, "final", 0, image);
      return ctx.observations;
    },
  };
}

const { Success, OverlappingRange, InvalidField } = Status;

const overlap = piecesScenario(
  "staging.overlap",
  "A piece starting below the end of the staged image → 1h/14h Overlapping Range; staging is kept (MC-11)",
  0xa0,
  3,
  (g) => [
    { name: "piece-0", from: 0, to: 2 * g, at: 0, status: Success },
    { name: "overlapping-piece", from: g, to: 2 * g, at: g, status: OverlappingRange },
    { name: "next-piece", from: 2 * g, to: 3 * g, at: 2 * g, status: Success },
  ],
);

const gap = piecesScenario(
  "staging.gap",
  "A piece starting past the end of the staged image (a gap), or a first piece not at 0 → Invalid Field (MC-11)",
  0xa1,
  2,
  (g) => [
    { name: "first-piece-at-g", from: g, to: 2 * g, at: g, status: InvalidField },
    { name: "piece-0", from: 0, to: g, at: 0, status: Success },
    { name: "gap-piece", from: g, to: 2 * g, at: 2 * g, status: InvalidField },
    { name: "in-order-piece", from: g, to: 2 * g, at: g, status: Success },
  ],
);

const granularityPieces = piecesScenario(
  "staging.fwug",
  "With FWUG neither 0h nor FFh, a piece size that is not a FWUG multiple → Invalid Field (MC-12)",
  0xa2,
  2,
  (g) => [
    { name: "half-granule", from: 0, to: g / 2, at: 0, status: InvalidField },
    { name: "one-and-a-half-granules", from: 0, to: g + g / 2, at: 0, status: InvalidField },
    { name: "whole-granules", from: 0, to: 2 * g, at: 0, status: Success },
  ],
  false,
);

/** MC-12 only applies when Identify states a granularity. */
const granularity: Scenario = {
  ...granularityPieces,
  async run(ctx) {
    const { fwug } = await (await ctx.driver()).identifyController();
    ctx.record("fwug", fwug);
    if (fwug === FWUG_NO_INFORMATION || fwug === FWUG_NO_RESTRICTION) {
      return ctx.skip(`FWUG is ${fwug}: the controller states no granularity to enforce`);
    }
    ctx.expect("granule-bytes", await (await ctx.driver()).firmwareUpdateGranularityBytes(), fwugBytes(fwug));
    return granularityPieces.run(ctx);
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
    await stageImage(ctx, "full-image.ok", image);
    const past = await driver.firmwareImageDownloadPiece(testImage(g, 0xa4), size);
    ctx.expectStatus("past-capacity.status", past, InvalidField);
    await commitAndCheck(ctx, "final", 0, image);
    return ctx.observations;
  },
};

const nothingStaged: Scenario = {
  id: "staging.commit-without-download",
  title: "CA=110b with nothing staged → 1h/07h on an unlocked BP, 1h/1Eh on a locked one (lock first, MC-20)",
  async run(ctx) {
    const driver = await ctx.driver();
    await unlockBp0(ctx);
    const unlocked = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0);
    ctx.expectStatus("unlocked-bp0.status", unlocked, Status.InvalidFirmwareImage);
    const locked = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1);
    ctx.expectStatus("locked-bp1.status", locked, Status.BootPartitionWriteProhibited);
    return ctx.observations;
  },
};

/** Download a whole image to unlocked BP0, reset somehow, then commit: the staged image is gone (MC-14). */
function discardedBy(
  slug: string,
  what: string,
  reset: (ctx: ScenarioContext) => Promise<void>,
  clearsLocks: boolean,
): Scenario {
  return {
    id: `staging.discarded-by-${slug}`,
    title: `${what} discards the staged image: the commit after it → 1h/07h; a new download from 0 works (MC-14)`,
    async run(ctx) {
      const driver = await ctx.driver();
      const size = await bpSizeBytes(ctx);
      await unlockBp0(ctx);
      await stageImage(ctx, "download.ok", testImage(size, 0xa5));
      await reset(ctx);
      if (clearsLocks) await unlockBp0(ctx, "unlock-again.status");
      const commit = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0);
      ctx.expectStatus("commit.status", commit, Status.InvalidFirmwareImage);
      const image = testImage(size, 0xa6);
      await stageImage(ctx, "new-download.ok", image);
      await commitAndCheck(ctx, "new", 0, image);
      return ctx.observations;
    },
  };
}

const newImageAfterCommit: Scenario = {
  id: "staging.new-image-after-commit",
  title:
    "The first download after a commit (even a refused one) starts a new image at offset 0 (docs/spec/boot-partitions.md §2.1, MC-13)",
  async run(ctx) {
    const driver = await ctx.driver();
    const g = await driver.firmwareUpdateGranularityBytes();
    await stageImage(ctx, "first.download.ok", testImage(2 * g, 0xa7));
    await expectCommitRefused(ctx, "refused", 1);
    const second = testImage(g, 0xa8);
    const piece = await driver.firmwareImageDownloadPiece(second, 0);
    ctx.expectStatus("second.piece-0.status", piece, Success, "not 1h/14h: a new image");
    const unlock = await driver.setBpLock(1, WriteUnlocked);
    ctx.expectStatus("unlock.status", unlock, Success);
    await commitAndCheck(ctx, "second", 1, second);
    return ctx.observations;
  },
};

const restartAtZero: Scenario = {
  id: "staging.restart-at-zero",
  title:
    "An aborted download restarts at OFST=0 without a commit or reset; the commit holds exactly the second image (MC-11)",
  async run(ctx) {
    const driver = await ctx.driver();
    const g = await driver.firmwareUpdateGranularityBytes();
    await unlockBp0(ctx);
    // The first image stops after 3 of its 4 pieces; the second, shorter one starts again at 0.
    const inOrder = (image: string, count: number): Piece[] =>
      Array.from({ length: count }, (_, index) => ({
        name: `${image}.piece-${index}`,
        from: index * g,
        to: (index + 1) * g,
        at: index * g,
        status: Success,
      }));
    await sendPieces(ctx, testImage(4 * g, 0xaa), inOrder("aborted", 3));
    const second = testImage(2 * g, 0xab);
    await sendPieces(ctx, second, [
      ...inOrder("second", 2),
      { name: "second.overlapping-piece", from: g, to: 2 * g, at: g, status: OverlappingRange },
    ]);
    await commitAndCheck(ctx, "second", 0, second);
    return ctx.observations;
  },
};

const cdw12Hint: Scenario = {
  id: "staging.cdw12-hint",
  title: "Downloads with the vendor CDW12=1 hint are accepted like any other (CDW12 is reserved, MC-15)",
  async run(ctx) {
    const image = testImage(await bpSizeBytes(ctx), 0xa9);
    await unlockBp0(ctx);
    await stageImage(ctx, "download.ok", image, { cdw12: DOWNSTREAM_ROUTE_HINT_CDW12 });
    await commitAndCheck(ctx, "final", 0, image);
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
  restartAtZero,
  cdw12Hint,
];
