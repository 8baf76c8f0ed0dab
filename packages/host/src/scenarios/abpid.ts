import {
  BOOT_PARTITION_LOG_HEADER_SIZE,
  BP_IDS,
  BpWriteProtectionState,
  bpinfoCodec,
  CommitAction,
  decodeBootPartitionLogHeader,
  LogPageId,
  RegisterOffset,
  Status,
} from "@bplab/nvme-spec";
import { type ScenarioContext, sha256 } from "./context.js";
import { bpHashViaLog, writeBothBps } from "./helpers.js";
import type { Scenario } from "./types.js";

/** ABPID as BPINFO and both BPs' log headers report it; all three must agree. */
async function expectAbpid(ctx: ScenarioContext, prefix: string, expected: number): Promise<void> {
  const driver = await ctx.driver();
  ctx.expect(
    `${prefix}.bpinfo.abpid`,
    bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO)).abpid,
    expected,
  );
  for (const bpid of BP_IDS) {
    const header = await driver.getLogPage(LogPageId.BootPartition, bpid, 0, BOOT_PARTITION_LOG_HEADER_SIZE);
    ctx.expect(`${prefix}.log-bp${bpid}.abpid`, decodeBootPartitionLogHeader(header.data).abpid, expected);
  }
}

const activate: Scenario = {
  id: "abpid.switch",
  title:
    "CA=111b sets ABPID without an unlock or a staged image; it survives resets and power cycles (MC-23)",
  async run(ctx) {
    const driver = await ctx.driver();
    const images = await writeBothBps(ctx, 0x90);
    await expectAbpid(ctx, "initial", 0);
    const wlupc = await driver.setBpLock(1, BpWriteProtectionState.WriteLockedUntilPowerCycle);
    ctx.expectStatus("bp1-wlupc.status", wlupc, Status.Success);
    const toBp1 = await driver.firmwareCommit(CommitAction.ActivateBootPartition, 1);
    ctx.expectStatus("activate-bp1.status", toBp1, Status.Success, "BP1 is in WLUPC and nothing is staged");
    await expectAbpid(ctx, "after-activate-bp1", 1);
    await driver.controllerReset();
    await expectAbpid(ctx, "after-controller-reset", 1);
    await ctx.functionReset();
    await expectAbpid(ctx, "after-function-reset", 1);
    await ctx.powerCycle();
    await expectAbpid(ctx, "after-power-cycle", 1);
    ctx.expectStatus(
      "activate-bp0.status",
      await driver.firmwareCommit(CommitAction.ActivateBootPartition, 0),
      Status.Success,
    );
    await expectAbpid(ctx, "after-activate-bp0", 0);
    for (const bpid of BP_IDS) {
      ctx.expect(
        `bp${bpid}.sha256`,
        await bpHashViaLog(ctx, bpid),
        sha256(images[bpid]!),
        "CA=111b changes no BP byte",
      );
    }
    return ctx.observations;
  },
};

export const ABPID_SCENARIOS: readonly Scenario[] = [activate];
