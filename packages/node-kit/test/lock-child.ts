/**
 * One of the many processes the pid-lock race test starts. On "go <attempts>" it takes the lock
 * that many times (failing fast or waiting, as its mode says). Whenever it holds the lock it
 * proves it is the only holder: it creates a marker file with O_EXCL and checks that the lock
 * names its own pid. It answers with one JSON line per round.
 * Usage: node --import tsx lock-child.ts <lockPath> <markerPath> <fail|wait>
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import { acquirePidLock, type PidLock } from "../src/index.js";

const [lockPath = "", markerPath = "", mode = "fail"] = process.argv.slice(2);

export interface RoundResult {
  acquired: number;
  busy: number;
  violations: string[];
  errors: string[];
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return "";
  }
}

function proveSoleOwner(result: RoundResult): void {
  let marker: number;
  try {
    marker = openSync(markerPath, "wx");
  } catch (error) {
    result.violations.push(`two holders: ${readOrEmpty(markerPath) || "?"} (${(error as Error).message})`);
    return;
  }
  try {
    writeSync(marker, `${process.pid}`);
    closeSync(marker);
    const named = Number.parseInt(readOrEmpty(lockPath), 10);
    if (named !== process.pid) result.violations.push(`holder ${process.pid} but the lock names ${named}`);
  } finally {
    rmSync(markerPath, { force: true });
  }
}

async function attemptOnce(result: RoundResult): Promise<void> {
  let lock: PidLock;
  try {
    lock =
      mode === "wait"
        ? await acquirePidLock(lockPath, { whenHeld: "wait", pollMs: 1 })
        : acquirePidLock(lockPath, { whenHeld: "fail" });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "PID_LOCK_BUSY") result.busy += 1;
    else result.errors.push(`${code ?? "no code"}: ${(error as Error).message}`);
    return;
  }
  result.acquired += 1;
  try {
    proveSoleOwner(result);
  } finally {
    lock.release();
  }
}

createInterface({ input: process.stdin }).on("line", async (line) => {
  const attempts = Number(line.split(" ")[1]);
  const result: RoundResult = { acquired: 0, busy: 0, violations: [], errors: [] };
  for (let i = 0; i < attempts; i += 1) await attemptOnce(result);
  writeSync(1, `${JSON.stringify(result)}\n`);
});
writeSync(1, "ready\n");
