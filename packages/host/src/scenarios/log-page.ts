import {
  BOOT_PARTITION_LOG_HEADER_SIZE,
  BOOT_PARTITION_LSP_BPID_MASK,
  BP_IDS,
  BPRSEL_UNIT_BYTES,
  bootPartitionLogOffset,
  bpinfoCodec,
  DWORD_SIZE_BYTES,
  encodeBootPartitionLogHeader,
  GET_LOG_PAGE_CDW10_LAYOUT,
  hexLiteral,
  LogPageId,
  RegisterOffset,
  Status,
} from "@bplab/nvme-spec";
import { type ScenarioContext, sha256 } from "./context.js";
import { bpSizeBytes, readFirstUnitViaRegisters, writeBothBps } from "./helpers.js";
import type { Scenario } from "./types.js";

/** A read that is one page of data, for the offset probes. */
const PROBE_BYTES = BPRSEL_UNIT_BYTES;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Reads `length` log bytes at `offset` and checks success and the bytes' hash. */
async function expectLogBytes(
  ctx: ScenarioContext,
  prefix: string,
  lsp: number,
  offset: number,
  expected: Uint8Array,
): Promise<void> {
  const driver = await ctx.driver();
  const outcome = await driver.getLogPage(LogPageId.BootPartition, lsp, offset, expected.length);
  ctx.expectStatus(`${prefix}.status`, outcome, Status.Success);
  ctx.expect(`${prefix}.sha256`, sha256(outcome.data), sha256(expected));
}

const header: Scenario = {
  id: "log-page.header",
  title: "LID 15h header: byte 0 = 15h, bytes 7:4 = BPSZ and ABPID without BRS, the rest 0 (MC-54)",
  async run(ctx) {
    // BRS at 10b, so the header shows BRS is left out (MC-54)
    await readFirstUnitViaRegisters(ctx, "register-read.brs");
    const bpinfo = bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO));
    const expected = encodeBootPartitionLogHeader({ bpsz: bpinfo.bpsz, abpid: bpinfo.abpid });
    for (const bpid of BP_IDS) {
      const outcome = await (await ctx.driver()).getLogPage(
        LogPageId.BootPartition,
        bpid,
        0,
        BOOT_PARTITION_LOG_HEADER_SIZE,
      );
      ctx.expectStatus(`bp${bpid}.status`, outcome, Status.Success);
      ctx.expect(
        `bp${bpid}.header`,
        Buffer.from(outcome.data).toString("hex"),
        Buffer.from(expected).toString("hex"),
      );
    }
    return ctx.observations;
  },
};

const offsets: Scenario = {
  id: "log-page.offsets",
  title:
    "LID 15h at offsets 0, 16, mid-BP, the last page, the log's end and across it (byte N at N+16; MC-50, MC-51)",
  async run(ctx) {
    const size = await bpSizeBytes(ctx);
    const images = await writeBothBps(ctx, 0x10);
    const bpinfo = bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO));
    const headerBytes = encodeBootPartitionLogHeader({ bpsz: bpinfo.bpsz, abpid: bpinfo.abpid });
    const image0 = images[0]!;
    const logSize = BOOT_PARTITION_LOG_HEADER_SIZE + size;
    const mid = size / 2 - 2 * DWORD_SIZE_BYTES;
    const half = 2 * DWORD_SIZE_BYTES;
    await expectLogBytes(ctx, "bp0.offset-0", 0, 0, concat(headerBytes, image0.subarray(0, PROBE_BYTES)));
    await expectLogBytes(
      ctx,
      "bp0.offset-16",
      0,
      Number(bootPartitionLogOffset(0)),
      image0.subarray(0, PROBE_BYTES),
    );
    await expectLogBytes(
      ctx,
      "bp0.offset-mid",
      0,
      Number(bootPartitionLogOffset(mid)),
      image0.subarray(mid, mid + PROBE_BYTES),
    );
    await expectLogBytes(ctx, "bp0.last-page", 0, logSize - PROBE_BYTES, image0.subarray(size - PROBE_BYTES));
    await expectLogBytes(ctx, "bp0.at-log-end", 0, logSize, new Uint8Array(BOOT_PARTITION_LOG_HEADER_SIZE));
    await expectLogBytes(
      ctx,
      "bp0.across-log-end",
      0,
      logSize - half,
      concat(image0.subarray(size - half), new Uint8Array(half)),
    );
    await expectLogBytes(
      ctx,
      "bp1.offset-mid",
      1,
      Number(bootPartitionLogOffset(mid)),
      images[1]!.subarray(mid, mid + PROBE_BYTES),
    );
    return ctx.observations;
  },
};

const invalid: Scenario = {
  id: "log-page.invalid-requests",
  title:
    "LID 15h: an unaligned offset, an offset past the log and a size above MDTS → Invalid Field (MC-50, MC-53)",
  async run(ctx) {
    const driver = await ctx.driver();
    const logSize = BOOT_PARTITION_LOG_HEADER_SIZE + (await bpSizeBytes(ctx));
    const read = (offset: number, length: number) =>
      driver.getLogPage(LogPageId.BootPartition, 0, offset, length);
    ctx.expectStatus(
      "unaligned-offset.status",
      await read(BOOT_PARTITION_LOG_HEADER_SIZE + 2, PROBE_BYTES),
      Status.InvalidField,
    );
    ctx.expectStatus(
      "offset-past-log.status",
      await read(logSize + DWORD_SIZE_BYTES, DWORD_SIZE_BYTES),
      Status.InvalidField,
    );
    const tooBig = (await driver.maxTransferBytes()) + PROBE_BYTES;
    ctx.expectStatus("size-above-mdts.status", await read(0, tooBig), Status.InvalidField);
    ctx.expectStatus(
      "aligned-again.status",
      await read(BOOT_PARTITION_LOG_HEADER_SIZE, DWORD_SIZE_BYTES),
      Status.Success,
    );
    return ctx.observations;
  },
};

const lspReservedBits: Scenario = {
  id: "log-page.lsp-reserved-bits",
  title:
    "LID 15h: LSP bit 0 picks the BP and LSP bits 6:1 are ignored (MC-52; downstream masks BPID with 7Fh)",
  async run(ctx) {
    const images = await writeBothBps(ctx, 0x20);
    const data = Number(bootPartitionLogOffset(0));
    const lspAllReservedBits = GET_LOG_PAGE_CDW10_LAYOUT.lsp.max & ~BOOT_PARTITION_LSP_BPID_MASK;
    await expectLogBytes(ctx, "lsp-7e", lspAllReservedBits, data, images[0]!.subarray(0, PROBE_BYTES));
    await expectLogBytes(
      ctx,
      "lsp-7f",
      lspAllReservedBits | BOOT_PARTITION_LSP_BPID_MASK,
      data,
      images[1]!.subarray(0, PROBE_BYTES),
    );
    return ctx.observations;
  },
};

const registersUntouched: Scenario = {
  id: "log-page.registers-untouched",
  title: "Reading LID 15h leaves BPINFO, BPRSEL and BPMBL as they were (docs/spec/boot-partitions.md §5.2)",
  async run(ctx) {
    // BRS at 10b, so the header shows BRS is left out (MC-54)
    await readFirstUnitViaRegisters(ctx, "register-read.brs");
    const snapshot = async () => ({
      bpinfo: hexLiteral(await ctx.target.mmioRead32(RegisterOffset.BPINFO)),
      bprsel: hexLiteral(await ctx.target.mmioRead32(RegisterOffset.BPRSEL)),
      bpmbl: hexLiteral(await ctx.target.mmioRead64(RegisterOffset.BPMBL), 16),
    });
    const before = await snapshot();
    await (await ctx.driver()).bpReadViaLog(1, 0, PROBE_BYTES);
    const after = await snapshot();
    for (const key of ["bpinfo", "bprsel", "bpmbl"] as const)
      ctx.expect(`after-log-read.${key}`, after[key], before[key]);
    return ctx.observations;
  },
};

export const LOG_PAGE_SCENARIOS: readonly Scenario[] = [
  header,
  offsets,
  invalid,
  lspReservedBits,
  registersUntouched,
];
