import { BootResult } from "../../src/guest-init.js";
import type { GuestRun } from "../../src/guest-runner.js";

const MS_PER_S = 1000;
/** Long outputs (id-ctrl JSON) are cut to this many lines in the transcript. */
const MAX_LINES_PER_STREAM = 12;
const seconds = (ms: number | undefined) => (ms === undefined ? "-" : `${(ms / MS_PER_S).toFixed(1)} s`);

const TAB = 0x09;
const CARRIAGE_RETURN = 0x0d;
const FIRST_PRINTABLE = 0x20;

function printable(bytes: Uint8Array): string {
  // Binary output (id-ctrl --raw-binary) is shown by its size only.
  const binary = bytes.some((b) => b < FIRST_PRINTABLE && (b < TAB || b > CARRIAGE_RETURN));
  return binary ? `<${bytes.length} bytes of binary>` : new TextDecoder().decode(bytes).trimEnd();
}

/** Prints each boot's timings and every nvme-cli command's exit status and output, for the log. */
export function printTranscript(runs: ReadonlyArray<{ name: string; run: GuestRun }>): void {
  const lines: string[] = [];
  for (const { name, run } of runs) {
    const { results, blobs } = run.report;
    lines.push(
      `== boot "${name}": driver ready ${seconds(run.timing.readyMs)}, script done ${seconds(run.timing.doneMs)}, ` +
        `QEMU exited ${seconds(run.timing.exitMs)} (guest uptime: init ${results.get(BootResult.initStarted)} s, ` +
        `ready ${results.get(BootResult.driverReady)} s, done ${results.get(BootResult.scriptDone)} s)`,
    );
    for (const [key, exit] of results) {
      if (!key.endsWith(".exit")) continue;
      const command = key.slice(0, -".exit".length);
      lines.push(`-- ${command} (exit ${exit})`);
      for (const stream of ["stdout", "stderr"]) {
        const blob = blobs.get(`${command}.${stream}`);
        if (!blob || blob.length === 0) continue;
        const text = printable(blob).split("\n");
        lines.push(...text.slice(0, MAX_LINES_PER_STREAM).map((line) => `   ${line}`));
        if (text.length > MAX_LINES_PER_STREAM)
          lines.push(`   ... (${text.length - MAX_LINES_PER_STREAM} more lines)`);
      }
    }
  }
  if (lines.length > 0) console.log(lines.join("\n"));
}
