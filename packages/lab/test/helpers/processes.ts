import { readdirSync, readFileSync } from "node:fs";
import { GUEST_TEMP_PREFIX } from "../../src/guest-runner.js";

/**
 * "pid cmdline" of every process whose command line names a guest run's temp dir; with `runDirs`,
 * only those naming one of them (other packages, e.g. container jobs, boot guests at the same time).
 */
export function guestQemuProcesses(runDirs?: readonly string[]): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "latin1").replaceAll("\0", " ");
      const ours = runDirs
        ? runDirs.some((dir) => cmdline.includes(dir))
        : cmdline.includes(GUEST_TEMP_PREFIX);
      if (ours) found.push(`${entry} ${cmdline.trim()}`);
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

/** The temp dir of a finished run: the directory of its -initrd (it holds sockets and state too). */
export function guestRunDir(argv: readonly string[]): string {
  const initrd = argv[argv.indexOf("-initrd") + 1] ?? "";
  return initrd.slice(0, initrd.lastIndexOf("/"));
}
