/**
 * What one boot observed about the Boot Partitions, in a form two targets can be compared by: the
 * app's event lines (commands with their CDWs, completions with EFI status, SCT, SC and DW0, lock
 * states, CRCs, ABPID), what Linux's nvme-cli steps ended with (exit, NVMe status, feature value),
 * the read-back hash, and the BPs the device kept (from the `bootpart` file after the boot; its
 * metadata block is each device's own encoding of ABPID, which the app's lines already show).
 *
 * Left out, each because it describes the device model rather than Boot Partition behaviour, which
 * the spec lets two controllers differ in: CAP apart from CAP.BPS (queue size, timeout, doorbell
 * stride), Identify's OACS and MDTS (optional admin commands, transfer size), and how many
 * controller handles OVMF found (always one here, asserted separately).
 */
import { commandOutcome, type GuestReport, parseFeatureValue, parseNvmeCliStatus } from "@bplab/lab";
import { type FirmwareBoot, OsStep } from "../../src/index.js";
import { sha256Hex } from "./data.js";

/** Fields per app event that belong to the device model, not to the BP feature. */
const DEVICE_MODEL_FIELDS: Readonly<Record<string, readonly string[]>> = {
  registers: ["cap"],
  identify: ["oacs", "mdts"],
  controller: ["handles"],
};
/** The OS steps whose stdout is a Get Features 85h value. */
const LOCK_STEPS = new Set<string>([OsStep.lockAtHandover, OsStep.lockAfterReset, OsStep.lockAfterFlr]);

export interface BootObservations {
  readonly appStatus: string | undefined;
  readonly app: ReadonlyArray<{ name: string; fields: Record<string, string> }>;
  readonly os: ReadonlyArray<{ step: string; exit: number; status?: string; value?: number }>;
  readonly readBack: string | undefined;
  readonly keptBps: string;
}

function osObservations(report: GuestReport | undefined): BootObservations["os"] {
  if (!report) return [];
  return Object.values(OsStep)
    .filter((step) => report.results.has(`${step}.exit`))
    .map((step) => {
      const outcome = commandOutcome(report, step);
      const status = parseNvmeCliStatus(outcome.stdout + outcome.stderr);
      return {
        step,
        exit: outcome.exit,
        ...(status ? { status: `${status.sct.toString(16)}h/${status.sc.toString(16)}h` } : {}),
        ...(LOCK_STEPS.has(step) && outcome.exit === 0
          ? { value: parseFeatureValue(outcome.stdout, step) }
          : {}),
      };
    });
}

/** `keptBps`: BP0 then BP1 as the `bootpart` file holds them after the boot. */
export function bootObservations(boot: FirmwareBoot, keptBps: Uint8Array): BootObservations {
  const app = boot.events.flatMap((event) => {
    if (event.kind !== "firmware") return [];
    const fields = { ...event.fields };
    for (const field of DEVICE_MODEL_FIELDS[event.name] ?? []) delete fields[field];
    return [{ name: event.name, fields }];
  });
  return {
    appStatus: boot.appStatus?.toString(16),
    app,
    os: osObservations(boot.guest),
    readBack: boot.guest?.results.get(`${OsStep.readBp1Sha}`),
    keptBps: sha256Hex(keptBps),
  };
}
