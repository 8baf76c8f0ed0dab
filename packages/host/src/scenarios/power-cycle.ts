import {
  BootReadStatus,
  BpWriteProtectionState,
  bpinfoCodec,
  bpWriteProtectionStateName,
  CommitAction,
  hexLiteral,
  RegisterOffset,
  Status,
} from "@bplab/nvme-spec";
import { formatBrs } from "../driver/transcript.js";
import { sha256 } from "./context.js";
import {
  bpHashViaLog,
  bpSizeBytes,
  expectLocks,
  readFirstUnitViaRegisters,
  stageImage,
  testImage,
  writeBootPartition,
} from "./helpers.js";
import type { Scenario } from "./types.js";

const { WriteUnlocked: U, WriteLocked: L, WriteLockedUntilPowerCycle: W } = BpWriteProtectionState;

function toLocked(slug: string, from: { bp0: number; bp1: number }): Scenario {
  return {
    id: `power-cycle.${slug}`,
    title: `Power cycle from BP0 ${bpWriteProtectionStateName(from.bp0)} / BP1 ${bpWriteProtectionStateName(from.bp1)} → both Write Locked, unlockable again (MC-41)`,
    async run(ctx) {
      const driver = await ctx.driver();
      ctx.expectStatus("set.status", await driver.setBpWriteProtection(from), Status.Success);
      await expectLocks(ctx, "before", from);
      await ctx.powerCycle();
      await expectLocks(ctx, "after-power-cycle", { bp0: L, bp1: L });
      ctx.expectStatus(
        "unlock-again.status",
        await driver.setBpWriteProtection({ bp0: U, bp1: U }),
        Status.Success,
      );
      await expectLocks(ctx, "after-unlock", { bp0: U, bp1: U });
      return ctx.observations;
    },
  };
}

const keepsContents: Scenario = {
  id: "power-cycle.keeps-nonvolatile-state",
  title: "A power cycle keeps BP bytes and ABPID, drops the staged image and zeroes BRS/BPRSEL/BPMBL (MC-41)",
  async run(ctx) {
    const driver = await ctx.driver();
    const size = await bpSizeBytes(ctx);
    const image = testImage(size, 0x80);
    await writeBootPartition(ctx, "write.bp0", 0, image);
    ctx.expectStatus(
      "activate-bp1.status",
      await driver.firmwareCommit(CommitAction.ActivateBootPartition, 1),
      Status.Success,
    );
    await stageImage(ctx, "download.ok", testImage(size, 0x81));
    await readFirstUnitViaRegisters(ctx, "read.brs");

    await ctx.powerCycle();
    const bpinfo = bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO));
    ctx.expect("abpid", bpinfo.abpid, 1);
    ctx.expect("brs", formatBrs(bpinfo.brs), formatBrs(BootReadStatus.None));
    ctx.expect("bprsel", hexLiteral(await ctx.target.mmioRead32(RegisterOffset.BPRSEL)), hexLiteral(0));
    ctx.expect("bpmbl", hexLiteral(await ctx.target.mmioRead64(RegisterOffset.BPMBL), 16), hexLiteral(0, 16));
    ctx.expect("bp0.sha256", await bpHashViaLog(ctx, 0), sha256(image));
    ctx.expectStatus("unlock.status", await driver.setBpLock(0, U), Status.Success);
    const commit = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 0);
    ctx.expectStatus(
      "commit-after-power-cycle.status",
      commit,
      Status.InvalidFirmwareImage,
      "MC-41: staging discarded",
    );
    return ctx.observations;
  },
};

export const POWER_CYCLE_SCENARIOS: readonly Scenario[] = [
  toLocked("unlocked-to-locked", { bp0: U, bp1: U }),
  toLocked("wlupc-to-locked", { bp0: W, bp1: W }),
  toLocked("mixed-to-locked", { bp0: U, bp1: W }),
  toLocked("locked-stays-locked", { bp0: L, bp1: W }),
  keepsContents,
];
