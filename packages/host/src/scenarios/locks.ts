import {
  type BpId,
  BpWriteProtectionState,
  bpName,
  bpWriteProtectionStateName,
  Status,
} from "@bplab/nvme-spec";
import type { ScenarioContext } from "./context.js";
import {
  bpSizeBytes,
  commitAndCheck,
  expectCommitRefused,
  expectLocks,
  stageImage,
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
    title: `CA=110b to BP${bpid} in ${bpWriteProtectionStateName(state)} → ${writable ? "success, new bytes" : "1h/1Eh, bytes unchanged"}`,
    async run(ctx) {
      const driver = await ctx.driver();
      const size = await bpSizeBytes(ctx);
      const imageB = testImage(size, 0x70 + bpid);
      await writeBootPartition(ctx, "prepare", bpid, testImage(size, 0x60 + bpid));
      const enter = await driver.setBpLock(bpid, state);
      ctx.expectStatus("enter-state.status", enter, Status.Success);
      const expected = { bp0: WriteLocked as number, bp1: WriteLocked as number };
      expected[bpName(bpid)] = state;
      await expectLocks(ctx, "before-commit", expected);
      await stageImage(ctx, "download.ok", imageB);
      if (writable) await commitAndCheck(ctx, "unlocked", bpid, imageB);
      else await expectCommitRefused(ctx, "locked", bpid);
      return ctx.observations;
    },
  };
}

/**
 * One image staged, then committed to a BP that must refuse it (1h/1Eh, bytes unchanged, the image
 * kept, MC-13) and to one that must take it.
 */
async function refusedThenAccepted(
  ctx: ScenarioContext,
  seed: number,
  refused: BpId,
  accepted: BpId,
): Promise<void> {
  const image = testImage(await bpSizeBytes(ctx), seed);
  await stageImage(ctx, "download.ok", image);
  await expectCommitRefused(ctx, "refused", refused);
  await commitAndCheck(ctx, "accepted", accepted, image);
}

/** The other BP's lock does not protect this one, and this one's unlock does not open the other. */
const perBp: Scenario = {
  id: "locks.per-bp",
  title: "Locks are per BP: BP0 unlocked and BP1 locked → commit to BP1 1h/1Eh, commit to BP0 succeeds",
  async run(ctx) {
    const unlock = await (await ctx.driver()).setBpWriteProtection({ bp0: WriteUnlocked, bp1: NoChange });
    ctx.expectStatus("unlock-bp0.status", unlock, Status.Success);
    await refusedThenAccepted(ctx, 0x62, 1, 0);
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
    await expectLocks(ctx, "power-on", { bp0: RpmbControlled, bp1: RpmbControlled });
    await refusedThenAccepted(ctx, 0x63, 1, 0);
    // RPMB control is not a Set Features state: resets and power cycles leave it in place.
    await driver.controllerReset();
    await expectLocks(ctx, "after-controller-reset", { bp0: RpmbControlled, bp1: RpmbControlled });
    await ctx.powerCycle();
    await expectLocks(ctx, "after-power-cycle", { bp0: RpmbControlled, bp1: RpmbControlled });
    await stageImage(ctx, "download-again.ok", testImage(await bpSizeBytes(ctx), 0x64));
    await expectCommitRefused(ctx, "after-power-cycle", 1);
    return ctx.observations;
  },
};

/**
 * 2.2 §8.1.3.3.2 (MC-34): an RPMB-unlocked BP is locked again by a Controller Level Reset and by a
 * power cycle, unlike a Set Features unlock (MC-40). BP0 starts RPMB-unlocked.
 */
function rpmbUnlockEndsAt(
  slug: string,
  event: string,
  reset: (ctx: ScenarioContext) => Promise<void>,
): Scenario {
  return {
    id: `locks.rpmb-unlock-ends-at-${slug}`,
    title: `RPMB mode: BP0 RPMB-unlocked takes a commit; after ${event} the same commit → 1h/1Eh (MC-34)`,
    request: { rpmb: { locked: [false, true] } },
    async run(ctx) {
      const size = await bpSizeBytes(ctx);
      const image = testImage(size, 0x65);
      await stageImage(ctx, "download.ok", image);
      await commitAndCheck(ctx, "before", 0, image);
      await reset(ctx);
      await expectLocks(ctx, "after", { bp0: RpmbControlled, bp1: RpmbControlled });
      await stageImage(ctx, "download-again.ok", testImage(size, 0x66));
      await expectCommitRefused(ctx, "after", 0);
      return ctx.observations;
    },
  };
}

const STATES = [
  { state: WriteLocked, slug: "write-locked" },
  { state: WriteUnlocked, slug: "write-unlocked" },
  { state: WriteLockedUntilPowerCycle, slug: "wlupc" },
] as const;

export const LOCK_SCENARIOS: readonly Scenario[] = [
  ...([0, 1] as const).flatMap((bpid) => STATES.map(({ state, slug }) => commitInState(bpid, state, slug))),
  perBp,
  rpmb,
  rpmbUnlockEndsAt("controller-reset", "CC.EN 1→0", async (ctx) => (await ctx.driver()).controllerReset()),
  rpmbUnlockEndsAt("function-reset", "a function-level reset", (ctx) => ctx.functionReset()),
  rpmbUnlockEndsAt("power-cycle", "a power cycle", (ctx) => ctx.powerCycle()),
];
