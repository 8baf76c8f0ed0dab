import {
  type BpId,
  BpWriteProtectionState,
  encodeBpWriteProtection,
  hexLiteral,
  Status,
  type StatusCode,
} from "@bplab/nvme-spec";
import { KnownVectors } from "@bplab/nvme-spec/testing";
import { type ScenarioContext, sha256 } from "./context.js";
import { DownstreamHost, downstreamCommands, type LockStep } from "./downstream-host.js";
import { bpSizeBytes, expectLocks, testImage } from "./helpers.js";
import type { Scenario } from "./types.js";

const {
  WriteUnlocked: U,
  WriteLocked: L,
  WriteLockedUntilPowerCycle: W,
  RpmbControlled: R,
} = BpWriteProtectionState;

/** The BP the downstream firmware writes (its partition B). */
const TARGET_BP: BpId = 1;

/** Checks one read-modify-write lock change: the Get, the CDW11 it produced, the Set's status. */
function expectLockStep(
  ctx: ScenarioContext,
  prefix: string,
  step: LockStep,
  cdw11: number,
  status: StatusCode,
): void {
  ctx.expectStatus(`${prefix}.get.status`, step.get, Status.Success);
  ctx.expect(`${prefix}.cdw11`, hexLiteral(step.cdw11), hexLiteral(cdw11));
  if (step.set) ctx.expectStatus(`${prefix}.set.status`, step.set, status);
  else ctx.expect(`${prefix}.set.status`, "not sent", "sent");
}

/** What a whole-BP write needs: the downstream host, BPSZ, the FWUG block size and a full-size image. */
async function fullImageWrite(ctx: ScenarioContext, seed: number) {
  const driver = await ctx.driver();
  const host = new DownstreamHost(driver);
  const size = await bpSizeBytes(ctx);
  const blockBytes = await driver.firmwareUpdateGranularityBytes();
  return { host, size, blockBytes, image: testImage(size, seed) };
}

/** Downloads a whole-BPSZ image in FWUG blocks (CDW12=1) and commits it to BP1, as the library does. */
async function writeImage(
  ctx: ScenarioContext,
  host: DownstreamHost,
  image: Uint8Array,
  blockBytes: number,
): Promise<void> {
  let failure: string | null = null;
  for (let block = 0; block * blockBytes < image.length && !failure; block++) {
    const outcome = await host.writeBlock(
      image.subarray(block * blockBytes, (block + 1) * blockBytes),
      block,
    );
    if (!outcome.ok) failure = `block ${block}: ${outcome.status}`;
  }
  ctx.expect("write-blocks.failure", failure, null);
  ctx.expect(
    "commit.cdw10",
    hexLiteral(downstreamCommands.commit(TARGET_BP).cdw10),
    hexLiteral(KnownVectors.commitReplaceBp1Cdw10),
  );
  ctx.expectStatus("commit.status", await host.writeClose(TARGET_BP), Status.Success);
}

/** Reads the whole BP back one block at a time through LID 15h, as SreStorageRead does. */
async function readImage(
  ctx: ScenarioContext,
  host: DownstreamHost,
  size: number,
  blockBytes: number,
): Promise<Uint8Array> {
  const data = new Uint8Array(size);
  let failure: string | null = null;
  for (let block = 0; block * blockBytes < size && !failure; block++) {
    const outcome = await host.readBlock(TARGET_BP, block, blockBytes);
    if (!outcome.ok) failure = `block ${block}: ${outcome.status}`;
    data.set(outcome.data, block * blockBytes);
  }
  ctx.expect("read-blocks.failure", failure, null);
  ctx.record(
    "read-blocks.first-cdw10",
    hexLiteral(downstreamCommands.readBlock(TARGET_BP, blockBytes, 0).cdw10),
  );
  return data;
}

const firmwareSequence: Scenario = {
  id: "downstream.firmware-sequence",
  title:
    "Downstream firmware sequence: Get 85h → Set 09h → FWUG downloads with CDW12=1 → commit 80000030h → lock BP1 011b → read back via LID 15h",
  async run(ctx) {
    const { host, size, blockBytes, image } = await fullImageWrite(ctx, 0xd1);
    const get = await host.getLockConfig();
    ctx.expectStatus("get.status", get, Status.Success);
    ctx.expect("get.dw0", hexLiteral(get.dw0), hexLiteral(KnownVectors.bpwpDefaultDw0));
    ctx.expectStatus(
      "unlock-both.status",
      await host.setLockConfig(KnownVectors.bpwpUnlockBothCdw11),
      Status.Success,
    );
    await writeImage(ctx, host, image, blockBytes);
    // SreStorageLock is a read-modify-write: it sends BP0's current 001b back along with BP1's 011b.
    const lock = await host.lock(TARGET_BP);
    expectLockStep(ctx, "lock-bp1", lock, encodeBpWriteProtection({ bp0: U, bp1: W }), Status.Success);
    await expectLocks(
      ctx,
      "final",
      { bp0: U, bp1: W },
      "Set 09h unlocked BP0 as well and nothing locked it again",
    );
    ctx.expect("bp1.read-back.sha256", sha256(await readImage(ctx, host, size, blockBytes)), sha256(image));
    ctx.expectStatus(
      "commit-after-lock.status",
      await host.writeClose(TARGET_BP),
      Status.BootPartitionWriteProhibited,
    );
    await ctx.powerCycle();
    await expectLocks(ctx, "after-power-cycle", { bp0: L, bp1: L });
    return ctx.observations;
  },
};

const librarySequence: Scenario = {
  id: "downstream.library-sequence",
  title:
    "SreStorageNvmeLib as written: read-modify-write unlock of BP1 (0Ah) → blocks → commit → read-modify-write lock (1Ah)",
  async run(ctx) {
    const { host, size, blockBytes, image } = await fullImageWrite(ctx, 0xd2);
    expectLockStep(
      ctx,
      "write-open",
      await host.writeOpen(TARGET_BP),
      encodeBpWriteProtection({ bp0: L, bp1: U }),
      Status.Success,
    );
    await writeImage(ctx, host, image, blockBytes);
    expectLockStep(
      ctx,
      "lock",
      await host.lock(TARGET_BP),
      encodeBpWriteProtection({ bp0: L, bp1: W }),
      Status.Success,
    );
    await expectLocks(ctx, "final", { bp0: L, bp1: W });
    ctx.expect("bp1.read-back.sha256", sha256(await readImage(ctx, host, size, blockBytes)), sha256(image));
    return ctx.observations;
  },
};

/**
 * The known downstream bug: a read-modify-write sends the other BP's current state back instead
 * of 000b. For every state BP0 can be in under Set Features control, unlocking and then locking
 * BP1 that way must give the same result as a correct host (MC-31 makes the echoed value a no-op).
 */
const echoOtherBp: Scenario = {
  id: "downstream.echo-other-bp",
  title:
    "Read-modify-write echoes BP0's state (010b, 001b, 011b) back while changing BP1: a success no-op each time (MC-31)",
  async run(ctx) {
    const driver = await ctx.driver();
    const host = new DownstreamHost(driver);
    const cases = [
      { name: "bp0-locked", bp0: L },
      { name: "bp0-unlocked", bp0: U },
      { name: "bp0-wlupc", bp0: W },
    ];
    for (const [index, c] of cases.entries()) {
      if (index > 0) await ctx.powerCycle();
      ctx.expectStatus(`${c.name}.prepare.status`, await driver.setBpLock(0, c.bp0), Status.Success);
      // unlock BP1 the library's way, then lock it again: each echoes BP0's state unchanged
      const steps = [
        ["unlock", () => host.writeOpen(TARGET_BP), U],
        ["lock", () => host.lock(TARGET_BP), W],
      ] as const;
      for (const [step, send, bp1] of steps) {
        const sent = await send();
        expectLockStep(
          ctx,
          `${c.name}.${step}-bp1`,
          sent,
          encodeBpWriteProtection({ bp0: c.bp0, bp1 }),
          Status.Success,
        );
        await expectLocks(ctx, `${c.name}.after-${step}`, { bp0: c.bp0, bp1 });
      }
    }
    return ctx.observations;
  },
};

/**
 * With RPMB in control, Get returns 100b for both BPs; the read-modify-write sends 100b for BP0,
 * which no Set may carry, so the controller answers Invalid Field (MC-30 step 2) where a correct
 * host gets Feature Not Changeable (step 3). Neither changes anything.
 */
const echoRpmb: Scenario = {
  id: "downstream.echo-other-bp-rpmb",
  title:
    "With RPMB in control the echoed 100b makes the unlock fail with 0h/02h instead of 1h/0Eh (MC-30, MC-34)",
  request: { rpmb: { locked: [true, true] } },
  async run(ctx) {
    const driver = await ctx.driver();
    const host = new DownstreamHost(driver);
    const open = await host.writeOpen(TARGET_BP);
    ctx.expect("get.dw0", hexLiteral(open.get.dw0), hexLiteral(KnownVectors.bpwpRpmbDw0));
    expectLockStep(ctx, "unlock-bp1", open, encodeBpWriteProtection({ bp0: R, bp1: U }), Status.InvalidField);
    ctx.expectStatus(
      "correct-host-unlock.status",
      await driver.setBpLock(TARGET_BP, U),
      Status.FeatureNotChangeable,
    );
    await expectLocks(ctx, "after", { bp0: R, bp1: R });
    return ctx.observations;
  },
};

export const DOWNSTREAM_SCENARIOS: readonly Scenario[] = [
  firmwareSequence,
  librarySequence,
  echoOtherBp,
  echoRpmb,
];
