/**
 * One process at a time per build tree. Several packages' tests, the CLI and the test suite may
 * all call build() for the same key at once; two ninjas in one build directory, or one process
 * unpacking a tree another is compiling, break both. The lock is a file holding the owner's pid,
 * created atomically (hard link of a finished temporary file), so its content is never partial.
 * A lock whose owner no longer exists (a killed build) is taken over.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** The lock file inside a build layout's root. */
export const LOCK_FILE_NAME = "build.lock";

/** How often a waiting process looks at the lock again. */
const DEFAULT_POLL_MS = 1000;

export interface LockOptions {
  /** Called once per owner while waiting for it; default nothing. */
  readonly onWait?: (ownerPid: number) => void;
  /** Whether a process exists; default `process.kill(pid, 0)`. */
  readonly isAlive?: (pid: number) => boolean;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly pollMs?: number;
  /** The pid written into the lock; default this process. */
  readonly pid?: number;
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The pid in a lock file, or undefined when there is no lock file. */
export function lockOwner(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text, 10);
  // a lock file always holds a pid (it is linked into place complete); anything else is debris
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

/** Whether a live process holds the lock at `path`. */
export function isLockHeld(path: string, isAlive: (pid: number) => boolean = processIsAlive): boolean {
  const owner = lockOwner(path);
  return owner !== undefined && owner > 0 && isAlive(owner);
}

function tryCreate(path: string, pid: number): boolean {
  const temporary = `${path}.${pid}.tmp`;
  writeFileSync(temporary, `${pid}\n`);
  try {
    linkSync(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
}

async function acquire(path: string, options: LockOptions): Promise<void> {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processIsAlive;
  const sleep = options.sleep ?? defaultSleep;
  mkdirSync(dirname(path), { recursive: true });
  let reported: number | undefined;
  for (;;) {
    if (tryCreate(path, pid)) return;
    const owner = lockOwner(path);
    if (owner === undefined) continue; // released between our attempt and the read
    if (owner === 0 || !isAlive(owner)) {
      rmSync(path, { force: true });
      continue;
    }
    if (owner !== reported) {
      options.onWait?.(owner);
      reported = owner;
    }
    await sleep(options.pollMs ?? DEFAULT_POLL_MS);
  }
}

/** Runs `body` while holding the lock at `path`, waiting for another owner first. */
export async function withLock<T>(
  path: string,
  body: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  await acquire(path, options);
  try {
    return await body();
  } finally {
    rmSync(path, { force: true });
  }
}
