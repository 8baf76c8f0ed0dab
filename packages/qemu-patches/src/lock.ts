/**
 * One process at a time per build tree. Several packages' tests, the CLI and the test suite may
 * all call build() for the same key at once; two ninjas in one build directory, or one process
 * unpacking a tree another is compiling, break both. The lock is @bplab/node-kit's pid lock in
 * its waiting mode: a second builder waits for the first and then reuses its build; a lock whose
 * owner no longer exists (a killed build) is taken over.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { readLockOwner, withPidLock } from "@bplab/node-kit";

export { isLockHeld, processIsAlive } from "@bplab/node-kit";

/** The lock file inside a build layout's root. */
export const LOCK_FILE_NAME = "build.lock";

export interface LockOptions {
  /** Called once per owner while waiting for it; default nothing. */
  readonly onWait?: (ownerPid: number) => void;
  /** Whether a process exists; default processIsAlive. */
  readonly isAlive?: (pid: number) => boolean;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly pollMs?: number;
  /** The pid written into the lock; default this process. */
  readonly pid?: number;
}

/** The pid in a lock file, 0 when it holds none, or undefined when there is no lock file. */
export const lockOwner = readLockOwner;

/** Runs `body` while holding the lock at `path`, waiting for another owner first. */
export async function withLock<T>(
  path: string,
  body: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  mkdirSync(dirname(path), { recursive: true });
  return withPidLock(path, body, { ...options, whenHeld: "wait" });
}
