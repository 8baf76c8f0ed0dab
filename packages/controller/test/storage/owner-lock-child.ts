/**
 * One of the many openers the owner-lock race test starts. It waits on stdin for "go <attempts>"
 * and then, as fast as it can, tries to take the state directory's owner lock that many times.
 * Whenever it owns the lock it proves it is the only owner: it creates a marker file with O_EXCL
 * (fails if another owner's marker is there) and checks that the lock names its own pid.
 * Usage: node --import tsx owner-lock-child.ts <lockPath> <markerPath>
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import { acquireOwnerLock } from "../../src/storage/owner-lock.js";

const [lockPath = "", markerPath = ""] = process.argv.slice(2);

interface RoundResult {
  acquired: number;
  busy: number;
  /** Proofs that two processes owned the lock at once, or that the lock did not name its owner. */
  violations: string[];
  /** Anything else that went wrong: an error other than STATE_DIR_BUSY. */
  errors: string[];
}

function attemptOnce(result: RoundResult): void {
  let release: () => void;
  try {
    release = acquireOwnerLock(lockPath);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "STATE_DIR_BUSY") result.busy += 1;
    else result.errors.push(`${code ?? "no code"}: ${(error as Error).message}`);
    return;
  }
  result.acquired += 1;
  try {
    let marker: number;
    try {
      marker = openSync(markerPath, "wx");
    } catch (error) {
      const other = readOrEmpty(markerPath);
      result.violations.push(
        `two owners: ${other || "another process"}'s marker is there (${(error as Error).message})`,
      );
      return;
    }
    try {
      writeSync(marker, `${process.pid}`);
      closeSync(marker);
      const named = Number.parseInt(readOrEmpty(lockPath), 10);
      if (named !== process.pid) result.violations.push(`owner ${process.pid} but the lock names ${named}`);
    } finally {
      rmSync(markerPath, { force: true });
    }
  } finally {
    release();
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const attempts = Number(line.split(" ")[1]);
  const result: RoundResult = { acquired: 0, busy: 0, violations: [], errors: [] };
  for (let i = 0; i < attempts; i += 1) attemptOnce(result);
  writeSync(1, `${JSON.stringify(result)}\n`);
});
writeSync(1, "ready\n");
