/**
 * `bplab demo`: the downstream firmware's Boot Partition flow against an in-process controller,
 * printed as a transcript of decoded commands, statuses and lock states (or, with --json, the
 * controller's trace as JSON lines). Every step checks what the spec says must happen; a step
 * that does not behave makes the demo exit 1.
 */
import { createHash } from "node:crypto";
import { formatSize, type TraceEvent } from "@bplab/controller";
import { formatBrs, Transcript } from "@bplab/host";
import { type BpId, BpWriteProtectionState, CommitAction } from "@bplab/nvme-spec";
import { CliFailure } from "../errors.js";
import type { CliIo } from "../io.js";
import { type DeviceSession, lockStateLabel, lockStatesLine, openDeviceSession } from "../session.js";
import { TranscriptPrinter } from "../transcript-view.js";
import { demoImageSha256, demoImageWindow } from "./demo-image.js";

export interface DemoOptions {
  /** Bytes per BP; default 128 KiB (BPSZ 1). */
  bpsz: number;
  json?: boolean;
}

export interface DemoResult {
  checks: { text: string; ok: boolean }[];
}

/** Image bytes generated, downloaded and read back per window. */
const WINDOW_BYTES = 4 * 1024 * 1024;
/** The BP the downstream firmware rewrites. */
const TARGET_BP: BpId = 1;
const { NoChange, WriteUnlocked, WriteLockedUntilPowerCycle, WriteLocked } = BpWriteProtectionState;

class DemoRun {
  readonly checks: DemoResult["checks"] = [];
  readonly #io: CliIo;
  readonly #printer: TranscriptPrinter | undefined;
  #step = 0;

  constructor(io: CliIo, printer: TranscriptPrinter | undefined) {
    this.#io = io;
    this.#printer = printer;
  }

  say(text: string): void {
    if (!this.#printer) return;
    this.#printer.flush();
    this.#io.out(`${text}\n`);
  }

  step(title: string): void {
    this.say(`\n== ${this.#step++}. ${title}`);
  }

  check(text: string, ok: boolean): void {
    this.checks.push({ text, ok });
    this.say(`  ${ok ? "✓" : "✗"} ${text}`);
  }
}

export async function runDemo(io: CliIo, options: DemoOptions): Promise<DemoResult> {
  const transcript = new Transcript(0);
  const printer = options.json ? undefined : new TranscriptPrinter(io.out);
  if (printer) transcript.subscribe((entry) => printer.accept(entry));
  const run = new DemoRun(io, printer);
  run.say(
    `bplab demo: the firmware Boot Partition flow against the in-process controller, ${formatSize(options.bpsz)} per BP`,
  );
  run.step("Power on, bring the controller up and discover");
  let unsubscribe = () => {};
  const session = await openDeviceSession({
    bpSizeBytes: options.bpsz,
    transcript,
    beforeAttach: (controller) => {
      unsubscribe = controller.trace.subscribe((event: TraceEvent) => {
        if (options.json) io.out(`${JSON.stringify(event)}\n`);
        else if (event.kind === "lock.transition") {
          run.say(`  ⚿ BP${event.bpid}: ${event.fromName} → ${event.toName} (${event.cause})`);
        }
      });
    },
  });
  try {
    await flow(session, run, options.bpsz);
  } finally {
    unsubscribe();
    printer?.flush();
    await session.close();
  }
  const failed = run.checks.filter((c) => !c.ok);
  run.say(`\n${run.checks.length - failed.length} of ${run.checks.length} checks passed`);
  if (failed.length > 0) {
    throw new CliFailure("CLI_CHECK_FAILED", `demo checks failed: ${failed.map((c) => c.text).join("; ")}`);
  }
  return { checks: run.checks };
}

async function flow(session: DeviceSession, run: DemoRun, bpSizeBytes: number): Promise<void> {
  const { driver, controller, target } = session;
  const locks = () => `  locks: ${lockStatesLine(controller)}`;
  const expectLocks = (bp0: number, bp1: number, why: string) => {
    const states = controller.getBpLockStates();
    run.check(
      `${why}: BP0 ${lockStateLabel(bp0)}, BP1 ${lockStateLabel(bp1)}`,
      states.bp0 === bp0 && states.bp1 === bp1,
    );
  };

  const identity = await driver.identifyController();
  const bpinfo = await driver.readBpinfo();
  const fwug = await driver.firmwareUpdateGranularityBytes();
  run.say(`  BPINFO: BPSZ=${bpinfo.bpsz} ABPID=${bpinfo.abpid} BRS=${formatBrs(bpinfo.brs)}`);
  run.say(
    `  Identify: FWUG=${identity.fwug} (${formatSize(fwug)} pieces), MDTS=${identity.mdts}, BPCAP=0x${identity.bpcap.toString(16)}`,
  );
  expectLocks(WriteLocked, WriteLocked, "power-on default");

  run.step(`Unlock BP${TARGET_BP} (Set Features 85h, 000b for the other BP)`);
  const unlock = await driver.setBpWriteProtection({ bp0: NoChange, bp1: WriteUnlocked });
  run.check(`unlock completes with ${unlock.status}`, unlock.ok);
  expectLocks(WriteLocked, WriteUnlocked, "after unlock");

  run.step(`Firmware Image Download in FWUG-sized pieces (${bpSizeBytes / fwug} × ${formatSize(fwug)})`);
  let downloadOk = true;
  for (let offset = 0; offset < bpSizeBytes && downloadOk; offset += WINDOW_BYTES) {
    const window = demoImageWindow(offset, Math.min(WINDOW_BYTES, bpSizeBytes - offset));
    downloadOk = (await driver.firmwareImageDownload(window, fwug, { startOffset: offset })).ok;
  }
  run.check("every piece completes successfully", downloadOk);

  run.step(`Firmware Commit CA=110b BPID=${TARGET_BP}: replace BP${TARGET_BP}`);
  const commit = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, TARGET_BP);
  run.check(`commit completes with ${commit.status}`, commit.ok);

  run.step(`Lock BP${TARGET_BP} until power cycle (BP${TARGET_BP}WPS=011b)`);
  const lock = await driver.setBpWriteProtection({ bp0: NoChange, bp1: WriteLockedUntilPowerCycle });
  run.check(`lock completes with ${lock.status}`, lock.ok);
  expectLocks(WriteLocked, WriteLockedUntilPowerCycle, "after the lock");

  const imageSha = demoImageSha256(bpSizeBytes, WINDOW_BYTES);
  for (const via of ["log", "bprsel"] as const) {
    run.step(
      `Read BP${TARGET_BP} back through ${via === "log" ? "Get Log Page 15h" : "BPRSEL/BPMBL (BRS 01b → 10b)"}`,
    );
    const sha = await readBackSha(session, via, bpSizeBytes);
    run.check(`the read-back sha256 ${sha.slice(0, 16)}… equals the image's`, sha === imageSha);
  }

  run.step(`Try to replace BP${TARGET_BP} while it is locked`);
  await driver.firmwareImageDownload(demoImageWindow(0, fwug, 2), fwug);
  const rejected = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, TARGET_BP);
  run.check(
    `the commit is rejected with 1h/1Eh Boot Partition Write Prohibited (got ${rejected.status})`,
    rejected.status === "1h/1Eh",
  );
  run.check("BP1 still holds the image", (await readBackSha(session, "log", bpSizeBytes)) === imageSha);

  run.step("Controller reset (CC.EN 1→0, then the host brings it up again)");
  await driver.controllerReset();
  run.say(locks());
  expectLocks(WriteLocked, WriteLockedUntilPowerCycle, "a Controller Level Reset keeps every lock (MC-40)");

  run.step("Power cycle");
  await target.powerCycle();
  await driver.reattach();
  expectLocks(WriteLocked, WriteLocked, "a power cycle leaves both BPs Write Locked (MC-41)");
  run.check(
    "BP1 kept the image across the power cycle",
    (await readBackSha(session, "log", bpSizeBytes)) === imageSha,
  );
}

async function readBackSha(
  session: DeviceSession,
  via: "log" | "bprsel",
  bpSizeBytes: number,
): Promise<string> {
  const hash = createHash("sha256");
  for (let offset = 0; offset < bpSizeBytes; offset += WINDOW_BYTES) {
    const size = Math.min(WINDOW_BYTES, bpSizeBytes - offset);
    const outcome =
      via === "log"
        ? await session.driver.bpReadViaLog(TARGET_BP, offset, size)
        : await session.driver.bpReadViaRegisters(TARGET_BP, offset, size);
    if (!outcome.ok) return `read failed: ${outcome.status}`;
    hash.update(outcome.data);
  }
  return hash.digest("hex");
}
