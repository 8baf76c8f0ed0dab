/**
 * A lock file that names its owner's pid, for "one process at a time" on a directory or a build
 * tree. Two rules make it safe with any number of processes racing for it:
 *
 * - The lock appears complete or not at all: the pid is written to a private temporary file that
 *   is then hard-linked into place (link() fails with EEXIST when the lock exists). A reader never
 *   sees an empty or half-written lock, so it never mistakes a lock being created for a stale one.
 * - A stale lock (its owner died, e.g. kill -9) is removed only by the one process that holds the
 *   lock's takeover guard (`<lock>.takeover`, a pid lock itself), and only after it has read the
 *   lock again under the guard. Without the guard, two processes that both saw the dead owner
 *   could remove it one after the other, the second removing the first one's fresh lock.
 *   A guard whose holder died is broken the same way, one level deeper.
 *
 * What a caller does when a live process holds the lock is its choice: fail at once with
 * PidLockBusyError naming that pid (`whenHeld: "fail"`), or poll until it is free
 * (`whenHeld: "wait"`).
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { PidLockBusyError } from "./errors.js";
import { processIsAlive } from "./process-alive.js";

/** How often a waiting process looks at the lock again, by default. */
export const DEFAULT_LOCK_POLL_MS = 1000;

interface CommonLockOptions {
  /** Whether a process exists; default processIsAlive. Tests inject it. */
  readonly isAlive?: (pid: number) => boolean;
  /** The pid written into the lock; default this process. */
  readonly pid?: number;
}

export interface FailFastLockOptions extends CommonLockOptions {
  /** Throw PidLockBusyError when a live process holds the lock. */
  readonly whenHeld: "fail";
}

export interface WaitingLockOptions extends CommonLockOptions {
  /** Poll until the live process that holds the lock releases it (or dies). */
  readonly whenHeld: "wait";
  /** Called once per owner while waiting for it. */
  readonly onWait?: (ownerPid: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly pollMs?: number;
}

export type PidLockOptions = FailFastLockOptions | WaitingLockOptions;

/** A lock this process holds. release() is idempotent. */
export interface PidLock {
  readonly path: string;
  readonly pid: number;
  release(): void;
}

/**
 * The pid in a lock file: undefined when there is no lock file, 0 when it holds no pid (debris:
 * a lock written by something else; this module's locks always hold one).
 */
export function readLockOwner(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
}

/** Whether a live process holds the lock at `path`. */
export function isLockHeld(path: string, isAlive: (pid: number) => boolean = processIsAlive): boolean {
  const owner = readLockOwner(path);
  return owner !== undefined && owner > 0 && isAlive(owner);
}

/** Links a finished file holding `pid` to `path`; false when `path` exists. */
function linkComplete(path: string, pid: number): boolean {
  // random suffix: worker threads share a pid, and a killed process may leave its temporary file
  const temporary = `${path}.${pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(temporary, `${pid}\n`, { flag: "wx" });
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

const ownerIsLive = (owner: number, isAlive: (pid: number) => boolean) => owner > 0 && isAlive(owner);

/**
 * Removes the lock file `path` if its owner is dead. Returns undefined when the lock is gone or
 * was found live again (the caller looks again), or the pid of a live process that is removing it
 * right now.
 */
function removeStale(path: string, pid: number, isAlive: (pid: number) => boolean): number | undefined {
  const guard = `${path}.takeover`;
  for (;;) {
    if (linkComplete(guard, pid)) {
      try {
        // Under the guard nobody else removes `path`, and its dead owner cannot release it: if it
        // still names a dead owner now, it does until we remove it.
        const owner = readLockOwner(path);
        if (owner !== undefined && !ownerIsLive(owner, isAlive)) rmSync(path, { force: true });
      } finally {
        rmSync(guard, { force: true });
      }
      return undefined;
    }
    const guardOwner = readLockOwner(guard);
    if (guardOwner === undefined) continue; // the other remover just finished
    if (ownerIsLive(guardOwner, isAlive)) return guardOwner;
    const deeper = removeStale(guard, pid, isAlive);
    if (deeper !== undefined) return deeper;
  }
}

/** Takes the lock if nobody live holds it: undefined when taken, else the live holder's pid. */
function tryAcquire(path: string, pid: number, isAlive: (pid: number) => boolean): number | undefined {
  for (;;) {
    if (linkComplete(path, pid)) return undefined;
    const owner = readLockOwner(path);
    if (owner === undefined) continue; // released between our link and the read
    if (ownerIsLive(owner, isAlive)) return owner;
    const remover = removeStale(path, pid, isAlive);
    if (remover !== undefined) return remover;
  }
}

function held(path: string, pid: number): PidLock {
  let holding = true;
  return {
    path,
    pid,
    release() {
      if (!holding) return;
      holding = false;
      // never remove a lock that is not ours (nobody takes a live owner's lock, so it is ours)
      if (readLockOwner(path) === pid) rmSync(path, { force: true });
    },
  };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitForLock(path: string, options: WaitingLockOptions): Promise<PidLock> {
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processIsAlive;
  const sleep = options.sleep ?? defaultSleep;
  let reported: number | undefined;
  for (;;) {
    const holder = tryAcquire(path, pid, isAlive);
    if (holder === undefined) return held(path, pid);
    if (holder !== reported) {
      options.onWait?.(holder);
      reported = holder;
    }
    await sleep(options.pollMs ?? DEFAULT_LOCK_POLL_MS);
  }
}

/**
 * Takes the pid lock at `path` (its directory must exist). With `whenHeld: "fail"` it returns at
 * once or throws PidLockBusyError naming the live holder; with `whenHeld: "wait"` it resolves
 * once the holder is gone. A lock whose owner is dead is taken over in both modes.
 */
export function acquirePidLock(path: string, options: FailFastLockOptions): PidLock;
export function acquirePidLock(path: string, options: WaitingLockOptions): Promise<PidLock>;
export function acquirePidLock(path: string, options: PidLockOptions): PidLock | Promise<PidLock> {
  if (options.whenHeld === "wait") return waitForLock(path, options);
  const pid = options.pid ?? process.pid;
  const holder = tryAcquire(path, pid, options.isAlive ?? processIsAlive);
  if (holder !== undefined) throw new PidLockBusyError(path, holder);
  return held(path, pid);
}

/** Runs `body` while holding the lock at `path` and releases it afterwards, also on a throw. */
export async function withPidLock<T>(
  path: string,
  body: () => Promise<T>,
  options: PidLockOptions,
): Promise<T> {
  const lock =
    options.whenHeld === "wait" ? await acquirePidLock(path, options) : acquirePidLock(path, options);
  try {
    return await body();
  } finally {
    lock.release();
  }
}
