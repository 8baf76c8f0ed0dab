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
 *
 * The lock also records the owner's PID namespace, boot id and host name (lock-owner.ts): an
 * owner this process cannot check (another container's PID namespace, another machine on a
 * shared volume) is never taken over; both modes throw PidLockForeignOwnerError naming it and
 * the file to remove once it is known to be gone (waiting could last forever: nothing tells us
 * when such an owner dies).
 */
import { randomBytes } from "node:crypto";
import { linkSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { PidLockBusyError, PidLockForeignOwnerError } from "./errors.js";
import {
  currentProcessPlace,
  formatLockOwner,
  judgeLockOwner,
  type LockOwner,
  type OwnerVerdict,
  type ProcessPlace,
  parseLockOwner,
  sameLockOwner,
} from "./lock-owner.js";
import { processIsAlive } from "./process-alive.js";

/** How often a waiting process looks at the lock again, by default. */
export const DEFAULT_LOCK_POLL_MS = 1000;

interface CommonLockOptions {
  /** Whether a process exists; default processIsAlive. Tests inject it. */
  readonly isAlive?: (pid: number) => boolean;
  /** The pid written into the lock; default this process. */
  readonly pid?: number;
  /** Where this process lives (PID namespace, boot, host); default currentProcessPlace(). Tests inject it. */
  readonly place?: ProcessPlace;
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
  return readLockRecord(path)?.pid;
}

/**
 * The owner a lock file names, with where its pid lives (fields an old pid-only lock lacks are
 * undefined); undefined when there is no lock file.
 */
export function readLockRecord(path: string): LockOwner | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  return parseLockOwner(text);
}

/**
 * Whether the lock at `path` is held as far as this process can tell: by a live process, or by
 * one it cannot check (another PID namespace or machine), which it must not treat as gone.
 */
export function isLockHeld(
  path: string,
  isAlive: (pid: number) => boolean = processIsAlive,
  place: ProcessPlace = currentProcessPlace(),
): boolean {
  const owner = readLockRecord(path);
  return owner !== undefined && judgeLockOwner(owner, place, isAlive) !== "dead";
}

/** Links a finished file naming `owner` to `path`; false when `path` exists. */
function linkComplete(path: string, owner: LockOwner): boolean {
  // random suffix: worker threads share a pid, and a killed process may leave its temporary file
  const temporary = `${path}.${owner.pid}.${randomBytes(6).toString("hex")}.tmp`;
  writeFileSync(temporary, formatLockOwner(owner), { flag: "wx" });
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

/** How this process judges an owner: kill(pid, 0) where it can, and from where the pid lives. */
type Judge = (owner: LockOwner) => OwnerVerdict;

/** A lock (or takeover guard) that is not free: its file and its owner, live or unverifiable. */
interface Holder {
  readonly path: string;
  readonly owner: LockOwner;
  readonly verdict: Exclude<OwnerVerdict, "dead">;
}

/**
 * Removes the lock file `path` if its owner is dead. Returns undefined when the lock is gone or
 * was found held again (the caller looks again), or the holder of the takeover guard (a live
 * process removing it right now, or one this process cannot check).
 */
function removeStale(path: string, me: LockOwner, judge: Judge): Holder | undefined {
  const guard = `${path}.takeover`;
  for (;;) {
    if (linkComplete(guard, me)) {
      try {
        // Under the guard nobody else removes `path`, and its dead owner cannot release it: if it
        // still names a dead owner now, it does until we remove it.
        const owner = readLockRecord(path);
        if (owner !== undefined && judge(owner) === "dead") rmSync(path, { force: true });
      } finally {
        rmSync(guard, { force: true });
      }
      return undefined;
    }
    const guardOwner = readLockRecord(guard);
    if (guardOwner === undefined) continue; // the other remover just finished
    const verdict = judge(guardOwner);
    if (verdict !== "dead") return { path: guard, owner: guardOwner, verdict };
    const deeper = removeStale(guard, me, judge);
    if (deeper !== undefined) return deeper;
  }
}

/** Takes the lock unless somebody holds it: undefined when taken, else the holder. */
function tryAcquire(path: string, me: LockOwner, judge: Judge): Holder | undefined {
  for (;;) {
    if (linkComplete(path, me)) return undefined;
    const owner = readLockRecord(path);
    if (owner === undefined) continue; // released between our link and the read
    const verdict = judge(owner);
    if (verdict !== "dead") return { path, owner, verdict };
    const remover = removeStale(path, me, judge);
    if (remover !== undefined) return remover;
  }
}

/** The error for an owner this process cannot check: never waited for, never taken over. */
function foreignOwnerError(holder: Holder): PidLockForeignOwnerError | undefined {
  return holder.verdict === "live"
    ? undefined
    : new PidLockForeignOwnerError(holder.path, holder.owner, holder.verdict);
}

function held(path: string, me: LockOwner): PidLock {
  let holding = true;
  return {
    path,
    pid: me.pid,
    release() {
      if (!holding) return;
      holding = false;
      // never remove a lock that is not ours (nobody takes a live owner's lock, so it is ours)
      const owner = readLockRecord(path);
      if (owner !== undefined && sameLockOwner(owner, me)) rmSync(path, { force: true });
    },
  };
}

/** This process as a lock owner, and how it judges others, from the caller's options. */
function lockContext(options: PidLockOptions): { me: LockOwner; judge: Judge } {
  const place = options.place ?? currentProcessPlace();
  const isAlive = options.isAlive ?? processIsAlive;
  return {
    me: { ...place, pid: options.pid ?? process.pid },
    judge: (owner) => judgeLockOwner(owner, place, isAlive),
  };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitForLock(path: string, options: WaitingLockOptions): Promise<PidLock> {
  const { me, judge } = lockContext(options);
  const sleep = options.sleep ?? defaultSleep;
  let reported: number | undefined;
  for (;;) {
    const holder = tryAcquire(path, me, judge);
    if (holder === undefined) return held(path, me);
    const foreign = foreignOwnerError(holder);
    if (foreign) throw foreign;
    if (holder.owner.pid !== reported) {
      options.onWait?.(holder.owner.pid);
      reported = holder.owner.pid;
    }
    await sleep(options.pollMs ?? DEFAULT_LOCK_POLL_MS);
  }
}

/**
 * Takes the pid lock at `path` (its directory must exist). With `whenHeld: "fail"` it returns at
 * once or throws PidLockBusyError naming the live holder; with `whenHeld: "wait"` it resolves
 * once the holder is gone. A lock whose owner is dead is taken over in both modes; one whose
 * owner cannot be checked from here throws PidLockForeignOwnerError in both.
 */
export function acquirePidLock(path: string, options: FailFastLockOptions): PidLock;
export function acquirePidLock(path: string, options: WaitingLockOptions): Promise<PidLock>;
export function acquirePidLock(path: string, options: PidLockOptions): PidLock | Promise<PidLock> {
  if (options.whenHeld === "wait") return waitForLock(path, options);
  const { me, judge } = lockContext(options);
  const holder = tryAcquire(path, me, judge);
  if (holder !== undefined) throw foreignOwnerError(holder) ?? new PidLockBusyError(path, holder.owner.pid);
  return held(path, me);
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
