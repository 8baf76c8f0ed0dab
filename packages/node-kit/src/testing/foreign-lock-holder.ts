/**
 * The process ForeignLockHolder starts inside a new PID namespace: it takes the pid lock named on
 * its command line, prints the lock's record as one JSON line, holds the lock until its stdin
 * ends, then releases it. Usage: node foreign-lock-holder.js <lockPath>
 */
import { createInterface } from "node:readline";
import { acquirePidLock, readLockRecord } from "../index.js";

const [lockPath = ""] = process.argv.slice(2);
try {
  const lock = acquirePidLock(lockPath, { whenHeld: "fail" });
  process.stdout.write(`${JSON.stringify({ holding: readLockRecord(lockPath) })}\n`);
  createInterface({ input: process.stdin })
    .on("line", () => {})
    .on("close", () => lock.release());
} catch (error) {
  process.stdout.write(`${JSON.stringify({ failed: String(error) })}\n`);
  process.exitCode = 1;
}
