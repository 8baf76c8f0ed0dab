import { type BpId, BpWriteProtectionState, CommitAction, Status } from "@bplab/nvme-spec";
import { sha256 } from "./context.js";
import {
  bpHashViaLog,
  bpSizeBytes,
  expectLocks,
  setOne,
  stateName,
  testImage,
  writeBootPartition,
} from "./helpers.js";
import type { Scenario } from "./types.js";

const { NoChange, WriteLocked, WriteUnlocked, WriteLockedUntilPowerCycle, RpmbControlled } =
  BpWriteProtectionState;

/**
 * Firmware Commit CA=110b against a BP in a given state. The BP first gets a known image A (so an
 * unchanged BP is distinguishable from an empty one), then is put in `state`, then image B is
 * staged and committed: Write Unlocked → success and B; any other state → 1h/1Eh and still A.
 */
function commitInState(bpid: BpId, state: number, slug: string): Scenario {
  const writable = state === WriteUnlocked;
  return {
    id: `locks.commit-bp${bpid}-${slug}`,
    title: `CA=110b to BP${bpid} in ${stateName(state)} → ${writable ? "success, new bytes" : "1h/1Eh, bytes unchanged"}`,
    async run(ctx) {
      const driver = await ctx.driver();
      const size = await bpSizeBytes(ctx);
      const imageA = testImage(size, 0x60 + bpid);
      const imageB = testImage(size, 0x70 + bpid);
      await writeBootPartition(ctx, "prepare", bpid, imageA);
      ctx.expectStatus(
        "enter-state.status",
        await driver.setBpWriteProtection(setOne(bpid, state)),
        Status.Success,
      );
      const expected = { bp0: WriteLocked as number, bp1: WriteLocked as number };
      expected[bpid === 0 ? "bp0" : "bp1"] = state;
      await expectLocks(ctx, "before-commit", expected);
      const download = await driver.firmwareImageDownload(
        imageB,
        await driver.firmwareUpdateGranularityBytes(),
      );
      ctx.expect("download.ok", download.ok, true, "downloads are not blocked by the lock");
      const commit = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, bpid);
      ctx.expectStatus(
        "commit.status",
        commit,
        writable ? Status.Success : Status.BootPartitionWriteProhibited,
      );
      ctx.expect(`bp${bpid}.sha256`, await bpHashViaLog(ctx, bpid), sha256(writable ? imageB : imageA));
      return ctx.observations;
    },
  };
}

/** The other BP's lock does not protect this one, and this one's unlock does not open the other. */
const perBp: Scenario = {
  id: "locks.per-bp",
  title: "Locks are per BP: BP0 unlocked and BP1 locked → commit to BP1 1h/1Eh, commit to BP0 succeeds",
  async run(ctx) {
    const driver = await ctx.driver();
    const size = await bpSizeBytes(ctx);
    const image = testImage(size, 0x62);
    const bp1Before = await bpHashViaLog(ctx, 1);
    ctx.expectStatus(
      "unlock-bp0.status",
      await driver.setBpWriteProtection({ bp0: WriteUnlocked, bp1: NoChange }),
      Status.Success,
    );
    ctx.expect(
      "download.ok",
      (await driver.firmwareImageDownload(image, await driver.firmwareUpdateGranularityBytes())).ok,
      true,
    );
    ctx.expectStatus(
      "commit-bp1.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1),
      Status.BootPartitionWriteProhibited,
    );
    ctx.expect("bp1.sha256", await bpHashViaLog(ctx, 1), bp1Before);
    ctx.expectStatus(
      "commit-bp0.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0),
      Status.Success,
    );
    ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), sha256(image));
    return ctx.observations;
  },
};

/**
 * RPMB-controlled mode (core only, MC-34): Get shows 100b for both BPs and a BP's writability comes
 * from the configured RPMB lock bits. BP0 RPMB-unlocked, BP1 RPMB-locked.
 */
const rpmb: Scenario = {
  id: "locks.commit-rpmb",
  title:
    "RPMB-controlled BPs (MC-34): Get shows 100b; commit to an RPMB-locked BP → 1h/1Eh, to an RPMB-unlocked BP → success",
  request: { rpmb: { locked: [false, true] } },
  async run(ctx) {
    const driver = await ctx.driver();
    const size = await bpSizeBytes(ctx);
    await expectLocks(ctx, "power-on", { bp0: RpmbControlled, bp1: RpmbControlled });
    const before = await bpHashViaLog(ctx, 1);
    const image = testImage(size, 0x63);
    ctx.expect(
      "download.ok",
      (await driver.firmwareImageDownload(image, await driver.firmwareUpdateGranularityBytes())).ok,
      true,
    );
    ctx.expectStatus(
      "commit-bp1.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1),
      Status.BootPartitionWriteProhibited,
    );
    ctx.expect("bp1.sha256", await bpHashViaLog(ctx, 1), before);
    ctx.expectStatus(
      "commit-bp0.status",
      await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0),
      Status.Success,
    );
    ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), sha256(image));
    return ctx.observations;
  },
};

const STATES = [
  { state: WriteLocked, slug: "write-locked" },
  { state: WriteUnlocked, slug: "write-unlocked" },
  { state: WriteLockedUntilPowerCycle, slug: "wlupc" },
] as const;

export const LOCK_SCENARIOS: readonly Scenario[] = [
  ...([0, 1] as const).flatMap((bpid) => STATES.map(({ state, slug }) => commitInState(bpid, state, slug))),
  perBp,
  rpmb,
];
