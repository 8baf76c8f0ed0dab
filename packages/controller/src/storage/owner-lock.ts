/**
 * One process at a time may have a state directory open: two controllers committing into the
 * same files would break atomicity. The lock file holds the owner's pid; a lock whose process is
 * gone (for example after kill -9) is stale and taken over, since the dead owner cannot be
 * writing anymore. @bplab/node-kit's pid lock never shows a half-written lock to another opener
 * and serializes takeovers, so two openers never both own the directory.
 */
import { acquirePidLock, type PidLock, PidLockBusyError } from "@bplab/node-kit";
import { StateDirError } from "./errors.js";
import { io } from "./file-io.js";

/** Takes the lock or throws STATE_DIR_BUSY naming the owner; returns the release function. */
export function acquireOwnerLock(path: string): () => void {
  let lock: PidLock;
  try {
    lock = acquirePidLock(path, { whenHeld: "fail" });
  } catch (error) {
    if (error instanceof PidLockBusyError) {
      const who = error.ownerPid === process.pid ? "this process" : `process ${error.ownerPid}`;
      throw new StateDirError("STATE_DIR_BUSY", path, `the state directory is already open in ${who}`, {
        cause: error,
      });
    }
    return io(path, "lock", () => {
      throw error;
    });
  }
  return () => lock.release();
}
