/**
 * Firmware-lab boot times on both devices (the patched QEMU's, and the TS controller behind
 * vfio-user on stock QEMU), with the Linux-only lab boot as a baseline, all in the same sitting. A
 * benchmark, not a test: it writes bench-results/firmware.json and prints a table.
 *
 *   pnpm --filter @bplab/firmware bench        # BPLAB_BENCH_BOOTS=N boots of each (default 2)
 *
 * Firmware rows are wall time from spawning QEMU: power-on → the app's lock line → the kernel's
 * first line → the guest's end line (the OS attempts done).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createBootpartImage, DEFAULT_BPSZ, runGuest } from "@bplab/lab";
import { createProgressPrinter } from "@bplab/qemu-patches";
import {
  type FirmwareTarget,
  osAttemptScript,
  prepareFirmwareLab,
  runFirmwareLab,
  vfioUserUnavailableReason,
} from "../src/index.js";

const BOOTS = Number(process.env.BPLAB_BENCH_BOOTS ?? "2");
const progress = createProgressPrinter({ write: (text) => process.stdout.write(text), interactive: false });
type Row = { what: string; seconds: number | null };
const rows: Row[] = [];
const add = (what: string, ms: number | undefined) =>
  rows.push({ what, seconds: ms === undefined ? null : Math.round(ms) / 1000 });

const lab = await prepareFirmwareLab({
  onProgress: progress,
  onNote: (text) => console.log(`[firmware] ${text}`),
});
const vfioUserSkip = await vfioUserUnavailableReason({ needsInterrupts: true });
if (vfioUserSkip) console.warn(`[firmware] no vfio-user rows: ${vfioUserSkip}`);
const targets: FirmwareTarget[] = vfioUserSkip ? ["qemu"] : ["qemu", "vfio-user"];
const dir = mkdtempSync(join(tmpdir(), "bplab-fw-bench-"));
try {
  const osImage = new Uint8Array(4096).fill(0x5a);
  for (let boot = 1; boot <= BOOTS; boot++) {
    for (const target of targets) {
      const run = await runFirmwareLab({ lab, lock: "upc", target });
      const t = run.timing;
      const what = `firmware ${target} ${boot}: power-on →`;
      add(`${what} app start`, t.firmwareStartMs);
      add(`${what} lock applied`, t.lockAppliedMs);
      add(`${what} first kernel line`, t.firstKernelLineMs);
      add(`${what} OS attempts done`, t.guestDoneMs);
      add(`${what} QEMU exit`, t.exitMs);
    }
    // Baseline: the same OS attempts on the Linux-only lab (direct kernel boot, no OVMF, no app).
    const bootpart = await createBootpartImage(join(dir, `baseline-${boot}.img`), { bpsz: DEFAULT_BPSZ });
    const baseline = await runGuest({
      image: lab.guestImage,
      qemuBinary: lab.qemu,
      script: osAttemptScript(osImage, DEFAULT_BPSZ),
      bootpart,
    });
    add(`linux-only ${boot}: QEMU start → driver ready`, baseline.timing.readyMs);
    add(`linux-only ${boot}: QEMU start → OS attempts done`, baseline.timing.doneMs);
    add(`linux-only ${boot}: QEMU start → exit`, baseline.timing.exitMs);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results");
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, "firmware.json"),
  `${JSON.stringify({ date: new Date().toISOString(), app: lab.app.key, load: loadavg(), rows }, null, 2)}\n`,
);
const width = Math.max(...rows.map((r) => r.what.length));
for (const row of rows)
  console.log(`${row.what.padEnd(width)}  ${row.seconds === null ? "-" : `${row.seconds.toFixed(1)} s`}`);
