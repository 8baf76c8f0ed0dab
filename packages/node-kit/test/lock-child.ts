/**
 * One racing process of the pid-lock race test.
 * Usage: node --import tsx lock-child.ts <lockPath> <markerPath> <fail|wait>
 */
import { acquirePidLock, PidLockBusyError } from "../src/index.js";
import { serveLockRace } from "../src/testing/index.js";

const [lockPath = "", markerPath = "", mode = "fail"] = process.argv.slice(2);

serveLockRace({
  lockPath,
  markerPath,
  acquire: async () => {
    const lock =
      mode === "wait"
        ? await acquirePidLock(lockPath, { whenHeld: "wait", pollMs: 1 })
        : acquirePidLock(lockPath, { whenHeld: "fail" });
    return () => lock.release();
  },
  isBusy: (error) => error instanceof PidLockBusyError,
});
