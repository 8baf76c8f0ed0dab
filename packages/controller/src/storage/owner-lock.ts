/**
 * One process at a time may have a state directory open: two controllers committing into the
 * same files would break atomicity (MC-22). The lock file holds the owner's pid and where that pid
 * lives (PID namespace, boot, host); a lock whose process is gone (for example after kill -9) is
 * stale and taken over, since the dead owner cannot be writing anymore. An owner in another PID
 * namespace or on another machine (a state directory on a volume shared by containers) cannot be
 * checked, so it is never taken over (MC-72). @bplab/node-kit's pid lock never shows a
 * half-written lock to another opener and serializes takeovers, so two openers never both own
 * the directory.
 */
import {
  acquirePidLock,
  describeLockOwner,
  type PidLock,
  PidLockBusyError,
  PidLockForeignOwnerError,
} from "@bplab/node-kit";
import { StateDirError } from "./errors.js";
import { io } from "./file-io.js";

/**
 * Takes the lock or throws STATE_DIR_BUSY naming the live owner (STATE_DIR_FOREIGN_OWNER when the
 * owner lives where its pid cannot be checked); returns the release function.
 */
export function acquireOwnerLock(path: string): () => void {
  let lock: PidLock;
  try {
    lock = acquirePidLock(path, { whenHeld: "fail" });
  } catch (error) {
    if (error instanceof PidLockForeignOwnerError) {
      const where =
        error.reason === "other-pid-namespace"
          ? "another PID namespace (a container or the host)"
          : "another machine";
      throw new StateDirError(
        "STATE_DIR_FOREIGN_OWNER",
        path,
        `the state directory may be open in ${describeLockOwner(error.owner)}, in ${where}; its pid ` +
          `cannot be checked from here, so the lock is not taken over. If that process is gone, remove ` +
          `${error.path} and open the directory again`,
        { cause: error },
      );
    }
    if (error instanceof PidLockBusyError) {
      // PidLockBusyError comes only for an owner of our own PID namespace: its pid is comparable.
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
