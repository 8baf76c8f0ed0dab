/**
 * Guaranteed clean-up of QEMU processes. Four layers, because each one misses a case:
 *  1. close() kills the process group (the normal path);
 *  2. process "exit" and SIGINT/SIGTERM/SIGHUP handlers kill every group this process started;
 *  3. QEMU runs under `setpriv --pdeathsig SIGKILL` when setpriv exists, so the kernel kills it
 *     when its parent dies even by SIGKILL, where no handler runs;
 *  4. an on-disk registry (one JSON file per QEMU) lets a vitest global teardown, or the next
 *     launch, kill what a dead worker left behind (`reapOrphans`).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processIsAlive } from "@bplab/node-kit";

/** Set by the vitest global setup so its teardown reaps only its own run's leftovers. */
export const RUN_ID_ENV = "BPLAB_QTEST_RUN_ID";

export interface RegistryEntry {
  readonly pid: number;
  readonly ownerPid: number;
  readonly runId: string | undefined;
  readonly tempDir: string;
  readonly startedAt: string;
}

export function registryDir(): string {
  return join(tmpdir(), "bplab-qtest-registry");
}

const live = new Map<number, RegistryEntry>();
let hooksInstalled = false;
const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Records a freshly spawned QEMU (process group leader `pid`) in memory and on disk. */
export function trackProcess(pid: number, tempDir: string): void {
  installHooks();
  const entry: RegistryEntry = {
    pid,
    ownerPid: process.pid,
    runId: process.env[RUN_ID_ENV],
    tempDir,
    startedAt: new Date().toISOString(),
  };
  live.set(pid, entry);
  mkdirSync(registryDir(), { recursive: true });
  writeFileSync(join(registryDir(), `${pid}.json`), JSON.stringify(entry));
}

/** Forgets a QEMU that has exited and whose temp dir is gone. */
export function untrackProcess(pid: number): void {
  live.delete(pid);
  rmSync(join(registryDir(), `${pid}.json`), { force: true });
}

/** Number of QEMU processes this Node process started and has not yet cleaned up. */
export function liveProcessCount(): number {
  return live.size;
}

/** SIGKILLs process group `pid`; false when it no longer exists. */
export function killGroup(pid: number, signal: NodeJS.Signals = "SIGKILL"): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Synchronous so it can run inside an "exit" handler. */
export function killAllSync(): void {
  for (const entry of [...live.values()]) {
    killGroup(entry.pid);
    rmSync(entry.tempDir, { recursive: true, force: true });
    untrackProcess(entry.pid);
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllSync);
  for (const signal of FORWARDED_SIGNALS) {
    const onSignal = (): void => {
      killAllSync();
      // Keep the default behaviour (terminate) when nobody else handles the signal.
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

// One liveness check for the lab's process bookkeeping: @bplab/node-kit owns it (the pid locks
// need it too), so this package re-exports it rather than keeping a copy.
export { processIsAlive } from "@bplab/node-kit";

/** True when `pid` is still the QEMU we started (its command line names our temp dir). */
function isOurQemu(entry: RegistryEntry): boolean {
  try {
    return readFileSync(`/proc/${entry.pid}/cmdline`, "latin1").includes(entry.tempDir);
  } catch {
    return false;
  }
}

export interface ReapOptions {
  /** Also reap entries of this run id even when their owner is still alive (vitest teardown). */
  runId?: string;
}

/**
 * Kills QEMU processes recorded in the registry whose owner process is dead (or that belong to
 * `runId`), removes their temp dirs and registry files. Returns how many processes were killed.
 */
export function reapOrphans(options: ReapOptions = {}): number {
  const dir = registryDir();
  if (!existsSync(dir)) return 0;
  let killed = 0;
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".json"))) {
    let entry: RegistryEntry;
    try {
      entry = JSON.parse(readFileSync(join(dir, file), "utf8")) as RegistryEntry;
    } catch {
      rmSync(join(dir, file), { force: true });
      continue;
    }
    const ownedByRun = options.runId !== undefined && entry.runId === options.runId;
    if (!ownedByRun && processIsAlive(entry.ownerPid)) continue;
    if (isOurQemu(entry) && killGroup(entry.pid)) killed += 1;
    rmSync(entry.tempDir, { recursive: true, force: true });
    rmSync(join(dir, file), { force: true });
    live.delete(entry.pid);
  }
  return killed;
}

/**
 * QEMU processes whose parent is `parentPid` (this process by default), as `pgrep -a -P` lists
 * them: what a test checks after closing every target. The launcher execs QEMU through setpriv, so
 * the process that launched QEMU is its parent.
 */
export function qemuChildProcesses(parentPid: number = process.pid): string[] {
  let listed: string;
  try {
    listed = execFileSync("pgrep", ["-a", "-P", String(parentPid)], { encoding: "utf8" });
  } catch {
    // pgrep exits 1 when the process has no children at all.
    return [];
  }
  return listed
    .split("\n")
    .filter((line) => line.includes("qemu-system"))
    .map((line) => line.trim());
}
