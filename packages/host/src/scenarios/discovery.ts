import {
  BOOT_PARTITION_UNIT_BYTES,
  BootReadStatus,
  BPCAP_LAB_DEFAULT,
  BPCAP_LAB_RPMB,
  BpWriteProtectionState,
  bpinfoCodec,
  capCodec,
  decodeSupportedLogPages,
  FRMW_LAB_DEFAULT,
  FWUG_LAB_DEFAULT,
  hexLiteral,
  LogPageId,
  Lpa,
  MDTS_LAB_DEFAULT,
  Oacs,
  RegisterOffset,
  Status,
  SUPPORTED_LOG_PAGES_SIZE,
} from "@bplab/nvme-spec";
import { formatBrs } from "../driver/transcript.js";
import { expectLocks } from "./helpers.js";
import type { Scenario } from "./types.js";

/** Three BPSZ units: an odd size, so a BPSZ that is not read from the configuration shows. */
const DISCOVERY_BP_BYTES = 3 * BOOT_PARTITION_UNIT_BYTES;

const registers: Scenario = {
  id: "discovery.registers",
  title: "CAP.BPS=1 and BPINFO: BPSZ as configured, BRS=00b, ABPID=0 on a new store",
  request: { bpSizeBytes: DISCOVERY_BP_BYTES },
  async run(ctx) {
    const cap = capCodec.decode(await ctx.target.mmioRead64(RegisterOffset.CAP));
    ctx.expect("cap.bps", cap.bps, true);
    ctx.record("cap.dstrd", cap.dstrd);
    ctx.record("cap.mpsmin", cap.mpsmin);
    const bpinfo = bpinfoCodec.decode(await ctx.target.mmioRead32(RegisterOffset.BPINFO));
    ctx.expect("bpinfo.bpsz", bpinfo.bpsz, DISCOVERY_BP_BYTES / BOOT_PARTITION_UNIT_BYTES);
    ctx.expect("bpinfo.brs", formatBrs(bpinfo.brs), formatBrs(BootReadStatus.None));
    ctx.expect("bpinfo.abpid", bpinfo.abpid, 0);
    return ctx.observations;
  },
};

const identify: Scenario = {
  id: "discovery.identify",
  title:
    "Identify Controller advertises BP support honestly: OACS.FWDS, FRMW 03h, LPA.LPEDS, FWUG 01h, BPCAP 05h, MDTS 7",
  async run(ctx) {
    const id = await (await ctx.driver()).identifyController();
    ctx.expect("oacs.fwds", (id.oacs & Oacs.FirmwareDownload) !== 0, true);
    ctx.expect("frmw", hexLiteral(id.frmw, 2), hexLiteral(FRMW_LAB_DEFAULT, 2));
    ctx.expect("lpa.lpeds", (id.lpa & Lpa.ExtendedData) !== 0, true);
    ctx.record("lpa", hexLiteral(id.lpa, 2));
    ctx.expect("fwug", hexLiteral(id.fwug, 2), hexLiteral(FWUG_LAB_DEFAULT, 2));
    ctx.expect("bpcap", hexLiteral(id.bpcap, 2), hexLiteral(BPCAP_LAB_DEFAULT, 2));
    ctx.expect("mdts", id.mdts, MDTS_LAB_DEFAULT);
    await expectLocks(ctx, "power-on", {
      bp0: BpWriteProtectionState.WriteLocked,
      bp1: BpWriteProtectionState.WriteLocked,
    });
    return ctx.observations;
  },
};

const supportedLogs: Scenario = {
  id: "discovery.supported-logs",
  title: "LID 00h Supported Log Pages lists the Boot Partition log 15h (2.2 §8.1.3.1)",
  async run(ctx) {
    const driver = await ctx.driver();
    const outcome = await driver.getLogPage(LogPageId.SupportedLogPages, 0, 0, SUPPORTED_LOG_PAGES_SIZE);
    ctx.expectStatus("status", outcome, Status.Success);
    const pages = decodeSupportedLogPages(outcome.data);
    const supported = [...pages].filter(([, entry]) => entry.lsupp).map(([lid]) => hexLiteral(lid, 2));
    ctx.record("supported", supported.join(","));
    ctx.expect("lid-15h.lsupp", pages.get(LogPageId.BootPartition)?.lsupp ?? false, true);
    return ctx.observations;
  },
};

const identifyRpmb: Scenario = {
  id: "discovery.identify-rpmb",
  title: "In the core's RPMB mode BPCAP is 06h (RPMBBPWPS=10b) and Get 85h shows 100b for both BPs (MC-34)",
  request: { rpmb: { locked: [true, false] } },
  async run(ctx) {
    const id = await (await ctx.driver()).identifyController();
    ctx.expect("bpcap", hexLiteral(id.bpcap, 2), hexLiteral(BPCAP_LAB_RPMB, 2));
    await expectLocks(ctx, "power-on", {
      bp0: BpWriteProtectionState.RpmbControlled,
      bp1: BpWriteProtectionState.RpmbControlled,
    });
    return ctx.observations;
  },
};

export const DISCOVERY_SCENARIOS: readonly Scenario[] = [registers, identify, supportedLogs, identifyRpmb];
