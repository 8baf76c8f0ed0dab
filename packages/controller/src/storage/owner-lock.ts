/**
 * One process at a time may have a state directory open: two controllers committing into the
 * same files would break atomicity. The lock file holds the owner's pid; a lock whose process is
 * gone (for example after kill -9) is stale and taken over, since the dead owner cannot be
 * writing anymore.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { StateDirError } from "./errors.js";
import { io } from "./file-io.js";

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else; it is still alive.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function tryCreate(path: string): boolean {
  try {
    const fd = openSync(path, "wx");
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    return io(path, "create", () => {
      throw error;
    });
  }
}

/** Takes the lock or throws STATE_DIR_BUSY naming the owner; returns the release function. */
export function acquireOwnerLock(path: string): () => void {
  if (!tryCreate(path)) {
    const owner = Number.parseInt(
      io(path, "read", () => readFileSync(path, "utf8")),
      10,
    );
    if (Number.isInteger(owner) && owner > 0 && processIsAlive(owner)) {
      const who = owner === process.pid ? "this process" : `process ${owner}`;
      throw new StateDirError("STATE_DIR_BUSY", path, `the state directory is already open in ${who}`);
    }
    io(path, "remove the stale lock", () => rmSync(path, { force: true }));
    if (!tryCreate(path)) {
      throw new StateDirError(
        "STATE_DIR_BUSY",
        path,
        "another process took the state directory while we opened it",
      );
    }
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    rmSync(path, { force: true });
  };
}
