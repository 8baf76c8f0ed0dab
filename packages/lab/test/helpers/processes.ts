import { readdirSync, readFileSync } from "node:fs";
import { GUEST_TEMP_PREFIX } from "../../src/guest-runner.js";

/** "pid cmdline" of every process whose command line names a guest run's temp dir. */
export function guestQemuProcesses(): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "latin1").replaceAll("\0", " ");
      if (cmdline.includes(GUEST_TEMP_PREFIX)) found.push(`${entry} ${cmdline.trim()}`);
    } catch {
      // the process exited while we looked
    }
  }
  return found;
}

/** True while `pid` runs (a zombie waiting for its reaper counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Field 3, after "pid (comm)"; comm may contain spaces, so look after the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
