/**
 * What a guest run observed of the NVMe device, in a form two device targets can be compared in:
 * each nvme-cli command's exit status and printed NVMe status, every FID 85h value, every hash of
 * bytes read back, the BP log headers, and the BP fields of Identify Controller. Timings, serial
 * numbers and model strings are left out: they differ between devices by design.
 */
import { decodeIdentifyController, Oacs } from "@bplab/nvme-spec";
import { parseFeatureValue, parseNvmeCliStatus } from "../../src/nvme-cli.js";
import { commandOutcome, type GuestReport } from "../../src/serial-protocol.js";

export type Observations = Record<string, string | number>;

const EXIT_SUFFIX = ".exit";
const IDENTIFY_RAW = "idctrl.raw";

export function nvmeObservations(report: GuestReport): Observations {
  const seen: Observations = {};
  for (const key of report.results.keys()) {
    if (key.endsWith(".sha")) seen[key] = report.results.get(key) ?? "";
    if (!key.endsWith(EXIT_SUFFIX)) continue;
    const name = key.slice(0, -EXIT_SUFFIX.length);
    const outcome = commandOutcome(report, name);
    seen[`${name}.exit`] = outcome.exit;
    const status = parseNvmeCliStatus(outcome.stdout + outcome.stderr);
    if (status) seen[`${name}.status`] = `0x${status.field.toString(16)}`;
    if (name.startsWith("lock.") && outcome.exit === 0)
      seen[`${name}.value`] = parseFeatureValue(outcome.stdout);
  }
  for (const [key, blob] of report.blobs) {
    if (key.endsWith(".header")) seen[key] = Buffer.from(blob).toString("hex");
  }
  const raw = report.blobs.get(`${IDENTIFY_RAW}.stdout`);
  if (raw && raw.length > 0) {
    const identify = decodeIdentifyController(raw);
    seen["idctrl.bpcap"] = identify.bpcap;
    seen["idctrl.frmw"] = identify.frmw;
    seen["idctrl.fwug"] = identify.fwug;
    seen["idctrl.oacs.fwds"] = identify.oacs & Oacs.FirmwareDownload;
  }
  return Object.fromEntries(Object.entries(seen).sort(([a], [b]) => a.localeCompare(b)));
}
