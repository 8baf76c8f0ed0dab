import {
  BASE_ADDRESS_ALIGNMENT_BYTES,
  BootReadStatus,
  BP_IDS,
  BPRSEL_UNIT_BYTES,
  bpinfoCodec,
  bprselCodec,
  ccCodec,
  cstsCodec,
  encodeBpmbl,
  hexLiteral,
  RegisterOffset,
} from "@bplab/nvme-spec";
import {
  type BpRegisterReadRequest,
  bpRegisterRead,
  startBpRegisterRead,
  waitBpRegisterRead,
} from "../driver/bp-register-read.js";
import { DEFAULT_MAX_POLLS } from "../driver/queue-driver.js";
import { formatBrs } from "../driver/transcript.js";
import { targetCapabilities } from "../target.js";
import { SCENARIO_POISON_BYTE, type ScenarioContext, sha256 } from "./context.js";
import { bpHashViaLog, bpSizeBytes, writeBothBps } from "./helpers.js";
import type { Scenario } from "./types.js";

/** A host buffer for register reads, filled with the poison byte so untouched bytes show. */
async function poisonedBuffer(
  ctx: ScenarioContext,
  size: number,
): Promise<{ addr: bigint; poisonHash: string }> {
  const addr = await ctx.target.alloc(size, BASE_ADDRESS_ALIGNMENT_BYTES);
  const poison = new Uint8Array(size).fill(SCENARIO_POISON_BYTE);
  await ctx.target.memWrite(addr, poison);
  return { addr, poisonHash: sha256(poison) };
}

async function repoison(ctx: ScenarioContext, addr: bigint, size: number): Promise<void> {
  await ctx.target.memWrite(addr, new Uint8Array(size).fill(SCENARIO_POISON_BYTE));
}

/** Reads a range through BPRSEL and records BRS and the buffer's hash under `prefix`. */
async function readAndObserve(
  ctx: ScenarioContext,
  prefix: string,
  request: BpRegisterReadRequest,
  bytes: number,
  expected: { brs: number; sha256: string },
): Promise<void> {
  const result = await bpRegisterRead(ctx.target, request, DEFAULT_MAX_POLLS);
  ctx.expect(`${prefix}.brs`, formatBrs(result.brs), formatBrs(expected.brs));
  ctx.expect(
    `${prefix}.buffer.sha256`,
    sha256(await ctx.target.memRead(request.bufferAddr, bytes)),
    expected.sha256,
  );
}

const neverEnabled: Scenario = {
  id: "register-read.never-enabled",
  title: "BP read through BPRSEL/BPMBL on a controller that was never enabled (CC.EN=0, no queues; MC-6)",
  async run(ctx) {
    const cc = ccCodec.decode(await ctx.target.mmioRead32(RegisterOffset.CC));
    const csts = cstsCodec.decode(await ctx.target.mmioRead32(RegisterOffset.CSTS));
    ctx.expect("cc.en", cc.en, false);
    ctx.expect("csts.rdy", csts.rdy, false);
    const size = await bpSizeBytes(ctx);
    const units = size / BPRSEL_UNIT_BYTES;
    const hashes: string[] = [];
    for (const bpid of BP_IDS) {
      const { addr } = await poisonedBuffer(ctx, size);
      const request = { bpid, bprofUnits: 0, bprszUnits: units, bufferAddr: addr };
      const result = await bpRegisterRead(ctx.target, request, DEFAULT_MAX_POLLS);
      ctx.expect(`bp${bpid}.brs`, formatBrs(result.brs), formatBrs(BootReadStatus.Success));
      ctx.expect(
        `bp${bpid}.bprsel`,
        hexLiteral(await ctx.target.mmioRead32(RegisterOffset.BPRSEL)),
        hexLiteral(bprselCodec.encode({ bpid, bprof: 0, bprsz: units })),
      );
      ctx.expect(
        `bp${bpid}.bpmbl`,
        hexLiteral(await ctx.target.mmioRead64(RegisterOffset.BPMBL), 16),
        hexLiteral(addr, 16),
      );
      hashes.push(sha256(await ctx.target.memRead(addr, size)));
    }
    // The same bytes must come out of the log page once the controller is up.
    for (const bpid of BP_IDS) {
      ctx.expect(
        `bp${bpid}.sha256`,
        hashes[bpid]!,
        await bpHashViaLog(ctx, bpid),
        "register read vs log page 15h",
      );
    }
    return ctx.observations;
  },
};

const afterDisable: Scenario = {
  id: "register-read.after-disable",
  title: "BP read through BPRSEL after CC.EN 1→0: whole BPs, a partial range, BPID independent of ABPID",
  async run(ctx) {
    const size = await bpSizeBytes(ctx);
    const images = await writeBothBps(ctx, 0xb0);
    const driver = await ctx.driver();
    await driver.disable();
    ctx.expect("cc.en", ccCodec.decode(await ctx.target.mmioRead32(RegisterOffset.CC)).en, false);
    ctx.expect("abpid", bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO)).abpid, 0);
    const units = size / BPRSEL_UNIT_BYTES;
    const { addr } = await poisonedBuffer(ctx, size);
    for (const bpid of [1, 0] as const) {
      await readAndObserve(
        ctx,
        `bp${bpid}.whole`,
        { bpid, bprofUnits: 0, bprszUnits: units, bufferAddr: addr },
        size,
        {
          brs: BootReadStatus.Success,
          sha256: sha256(images[bpid]!),
        },
      );
    }
    await repoison(ctx, addr, size);
    const partial = { bprofUnits: 1, bprszUnits: 2 };
    const start = partial.bprofUnits * BPRSEL_UNIT_BYTES;
    const length = partial.bprszUnits * BPRSEL_UNIT_BYTES;
    await readAndObserve(ctx, "bp1.partial", { bpid: 1, ...partial, bufferAddr: addr }, length, {
      brs: BootReadStatus.Success,
      sha256: sha256(images[1]!.subarray(start, start + length)),
    });
    // Bytes past the requested size stay as they were.
    ctx.expect(
      "bp1.partial.beyond.sha256",
      sha256(await ctx.target.memRead(addr + BigInt(length), BPRSEL_UNIT_BYTES)),
      sha256(new Uint8Array(BPRSEL_UNIT_BYTES).fill(SCENARIO_POISON_BYTE)),
    );
    return ctx.observations;
  },
};

const outOfRange: Scenario = {
  id: "register-read.out-of-range",
  title:
    "BPROF+BPRSZ past the end of the BP → BRS=11b and no byte transferred; ending exactly at the end is fine (MC-2)",
  async run(ctx) {
    const units = (await bpSizeBytes(ctx)) / BPRSEL_UNIT_BYTES;
    const bytes = 2 * BPRSEL_UNIT_BYTES;
    const { addr, poisonHash } = await poisonedBuffer(ctx, bytes);
    const lastUnit = { bpid: 0 as const, bprofUnits: units - 1, bprszUnits: 1, bufferAddr: addr };
    const result = await bpRegisterRead(ctx.target, lastUnit, DEFAULT_MAX_POLLS);
    ctx.expect("last-unit.brs", formatBrs(result.brs), formatBrs(BootReadStatus.Success));
    const cases = [
      { name: "one-unit-past-end", bprofUnits: units - 1, bprszUnits: 2 },
      { name: "starts-at-end", bprofUnits: units, bprszUnits: 1 },
      { name: "far-past-end", bprofUnits: units * 4, bprszUnits: 2 },
    ];
    for (const c of cases) {
      await repoison(ctx, addr, bytes);
      await readAndObserve(
        ctx,
        c.name,
        { bpid: 1, bprofUnits: c.bprofUnits, bprszUnits: c.bprszUnits, bufferAddr: addr },
        bytes,
        {
          brs: BootReadStatus.Error,
          sha256: poisonHash,
        },
      );
    }
    return ctx.observations;
  },
};

const zeroSize: Scenario = {
  id: "register-read.bprsz-zero",
  title: "BPRSZ=0 completes at once with BRS=10b and transfers nothing (MC-1)",
  async run(ctx) {
    const { addr, poisonHash } = await poisonedBuffer(ctx, BPRSEL_UNIT_BYTES);
    await readAndObserve(
      ctx,
      "bprsz-0",
      { bpid: 0, bprofUnits: 0, bprszUnits: 0, bufferAddr: addr },
      BPRSEL_UNIT_BYTES,
      {
        brs: BootReadStatus.Success,
        sha256: poisonHash,
      },
    );
    return ctx.observations;
  },
};

const bpmblReservedBits: Scenario = {
  id: "register-read.bpmbl-reserved-bits",
  title: "BPMBL bits 11:0 are reserved: writes to them are dropped and they read as 0 (MC-4)",
  async run(ctx) {
    const addr = await ctx.target.alloc(BPRSEL_UNIT_BYTES, BASE_ADDRESS_ALIGNMENT_BYTES);
    const reservedBits = BigInt(BASE_ADDRESS_ALIGNMENT_BYTES - 1);
    await ctx.target.mmioWrite64(RegisterOffset.BPMBL, encodeBpmbl({ bmbba: addr }) | reservedBits);
    ctx.expect(
      "bpmbl",
      hexLiteral(await ctx.target.mmioRead64(RegisterOffset.BPMBL), 16),
      hexLiteral(addr, 16),
    );
    return ctx.observations;
  },
};

const busyBprsel: Scenario = {
  id: "register-read.bprsel-while-reading",
  title: "A BPRSEL write while BRS=01b is ignored: BPRSEL keeps its value and no second read starts (MC-3)",
  async run(ctx) {
    const images = await writeBothBps(ctx, 0xc0);
    const { addr } = await poisonedBuffer(ctx, BPRSEL_UNIT_BYTES);
    const first = { bpid: 0 as const, bprofUnits: 0, bprszUnits: 1, bufferAddr: addr };
    await startBpRegisterRead(ctx.target, first);
    const brs = bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO)).brs;
    if (brs !== BootReadStatus.Reading) {
      ctx.record("brs-right-after-start", formatBrs(brs));
      return ctx.skip(`the ${ctx.target.name} target finished the read before the host could see BRS=01b`);
    }
    ctx.expect("brs-right-after-start", formatBrs(brs), formatBrs(BootReadStatus.Reading));
    const firstValue = await ctx.target.mmioRead32(RegisterOffset.BPRSEL);
    await ctx.target.mmioWrite32(RegisterOffset.BPRSEL, bprselCodec.encode({ bpid: 1, bprof: 1, bprsz: 1 }));
    ctx.expect(
      "bprsel-after-second-write",
      hexLiteral(await ctx.target.mmioRead32(RegisterOffset.BPRSEL)),
      hexLiteral(firstValue),
    );
    const result = await waitBpRegisterRead(ctx.target, DEFAULT_MAX_POLLS);
    ctx.expect("brs", formatBrs(result.brs), formatBrs(BootReadStatus.Success));
    const buffer = await ctx.target.memRead(addr, BPRSEL_UNIT_BYTES);
    ctx.expect(
      "buffer.sha256",
      sha256(buffer),
      sha256(images[0]!.subarray(0, BPRSEL_UNIT_BYTES)),
      "the first read's bytes",
    );
    return ctx.observations;
  },
};

const dmaFailure: Scenario = {
  id: "register-read.dma-failure",
  title: "A BPMBL that points at unmapped host memory ends the read with BRS=11b (MC-7)",
  async run(ctx) {
    const unmapped = targetCapabilities(ctx.target).unmappedAddress;
    if (unmapped === undefined)
      return ctx.skip(`the ${ctx.target.name} target declares no unmapped host address`);
    const result = await bpRegisterRead(
      ctx.target,
      { bpid: 0, bprofUnits: 0, bprszUnits: 1, bufferAddr: unmapped },
      DEFAULT_MAX_POLLS,
    );
    ctx.expect("brs", formatBrs(result.brs), formatBrs(BootReadStatus.Error));
    return ctx.observations;
  },
};

export const REGISTER_READ_SCENARIOS: readonly Scenario[] = [
  neverEnabled,
  afterDisable,
  outOfRange,
  zeroSize,
  bpmblReservedBits,
  busyBprsel,
  dmaFailure,
];
