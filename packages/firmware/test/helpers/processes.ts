import { readdirSync, readFileSync } from "node:fs";
import { FIRMWARE_TEMP_PREFIX } from "../../src/boot-lab.js";

/** "pid cmdline" of every process whose command line names a firmware run's temp dir. */
export function firmwareQemuProcesses(): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "latin1").replaceAll("\0", " ");
      if (cmdline.includes(FIRMWARE_TEMP_PREFIX)) found.push(`${entry} ${cmdline.trim()}`);
    } catch {
      // the process exited while we looked
    }
  }
  return found;
}
