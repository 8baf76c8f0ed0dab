import {
  BASE_ADDRESS_ALIGNMENT_BYTES,
  BootReadStatus,
  BPRSEL_UNIT_BYTES,
  BpWriteProtectionState,
  bpinfoCodec,
  ccCodec,
  hexLiteral,
  RegisterOffset,
  Status,
} from "@bplab/nvme-spec";
import { bpRegisterRead, startBpRegisterRead } from "../driver/bp-register-read.js";
import { DEFAULT_MAX_POLLS } from "../driver/queue-driver.js";
import { formatBrs } from "../driver/transcript.js";
import { SCENARIO_POISON_BYTE, type ScenarioContext, sha256 } from "./context.js";
import { expectLocks } from "./helpers.js";
import type { Scenario } from "./types.js";

const { WriteUnlocked: U, WriteLocked: L, WriteLockedUntilPowerCycle: W } = BpWriteProtectionState;

/** The two kinds of Controller Level Reset a host can cause (MC-40). */
const RESETS = [
  { name: "cc-en", run: async (ctx: ScenarioContext) => (await ctx.driver()).controllerReset() },
  { name: "function-reset", run: (ctx: ScenarioContext) => ctx.functionReset() },
] as const;

const keepsLocks: Scenario = {
  id: "reset.keeps-locks",
  title: "CC.EN 1→0 and a function reset keep every lock state: Locked, Unlocked and WLUPC survive (MC-40)",
  async run(ctx) {
    const driver = await ctx.driver();
    const combos = [
      { name: "bp0-unlocked-bp1-wlupc", bp0: U, bp1: W },
      { name: "bp0-wlupc-bp1-unlocked", bp0: W, bp1: U },
      { name: "bp0-locked-bp1-unlocked", bp0: L, bp1: U },
    ];
    for (const [index, combo] of combos.entries()) {
      if (index > 0) await ctx.powerCycle();
      const set = await driver.setBpWriteProtection({ bp0: combo.bp0, bp1: combo.bp1 });
      ctx.expectStatus(`${combo.name}.set.status`, set, Status.Success);
      for (const reset of RESETS) {
        await reset.run(ctx);
        await expectLocks(ctx, `${combo.name}.after-${reset.name}`, combo);
      }
    }
    return ctx.observations;
  },
};

const clearsReadRegisters: Scenario = {
  id: "reset.clears-read-registers",
  title: "A Controller Level Reset returns BRS, BPRSEL and BPMBL to 0 and keeps BPSZ and ABPID (MC-40, MC-5)",
  async run(ctx) {
    await ctx.driver();
    const addr = await ctx.target.alloc(BPRSEL_UNIT_BYTES, BASE_ADDRESS_ALIGNMENT_BYTES);
    for (const reset of RESETS) {
      const before = bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO));
      const read = await bpRegisterRead(
        ctx.target,
        { bpid: 1, bprofUnits: 1, bprszUnits: 1, bufferAddr: addr },
        DEFAULT_MAX_POLLS,
      );
      ctx.expect(`${reset.name}.read.brs`, formatBrs(read.brs), formatBrs(BootReadStatus.Success));
      await reset.run(ctx);
      const after = bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO));
      ctx.expect(`${reset.name}.brs`, formatBrs(after.brs), formatBrs(BootReadStatus.None));
      ctx.expect(`${reset.name}.bpsz`, after.bpsz, before.bpsz);
      ctx.expect(`${reset.name}.abpid`, after.abpid, before.abpid);
      ctx.expect(
        `${reset.name}.bprsel`,
        hexLiteral(await ctx.target.mmioRead32(RegisterOffset.BPRSEL)),
        hexLiteral(0),
      );
      ctx.expect(
        `${reset.name}.bpmbl`,
        hexLiteral(await ctx.target.mmioRead64(RegisterOffset.BPMBL), 16),
        hexLiteral(0, 16),
      );
    }
    return ctx.observations;
  },
};

const cancelsRead: Scenario = {
  id: "reset.cancels-read",
  title:
    "CC.EN 1→0 while BRS=01b cancels the read: no byte reaches host memory and BRS returns to 00b (MC-5)",
  async run(ctx) {
    await ctx.driver();
    const size = BPRSEL_UNIT_BYTES;
    const addr = await ctx.target.alloc(size, BASE_ADDRESS_ALIGNMENT_BYTES);
    const poison = new Uint8Array(size).fill(SCENARIO_POISON_BYTE);
    await ctx.target.memWrite(addr, poison);
    await startBpRegisterRead(ctx.target, { bpid: 0, bprofUnits: 0, bprszUnits: 1, bufferAddr: addr });
    const brs = bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO)).brs;
    if (brs !== BootReadStatus.Reading) {
      ctx.record("brs-right-after-start", formatBrs(brs));
      return ctx.skip(
        `the ${ctx.target.name} target finished the read before the host could reset during it`,
      );
    }
    ctx.expect("brs-right-after-start", formatBrs(brs), formatBrs(BootReadStatus.Reading));
    const cc = ccCodec.decode(await ctx.target.mmioRead32(RegisterOffset.CC));
    await ctx.target.mmioWrite32(RegisterOffset.CC, ccCodec.encode({ ...cc, en: false }));
    await ctx.target.settle();
    ctx.expect(
      "brs-after-reset",
      formatBrs(bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO)).brs),
      formatBrs(BootReadStatus.None),
    );
    ctx.expect(
      "buffer.sha256",
      sha256(await ctx.target.memRead(addr, size)),
      sha256(poison),
      "nothing written after the reset",
    );
    return ctx.observations;
  },
};

export const RESET_SCENARIOS: readonly Scenario[] = [keepsLocks, clearsReadRegisters, cancelsRead];
