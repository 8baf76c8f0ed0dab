/**
 * The state directory's owner lock under contention: many processes open one state directory at
 * the same moment, round after round, some rounds starting from a lock left by a dead process.
 * At no time may two of them own it (issue: an opener that read a lock file between its creation
 * and the write of the pid took it for stale, deleted it and became a second owner).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LockRacers, runLockRace } from "@bplab/node-kit/testing";
import { afterAll, describe, expect, it } from "vitest";
import { acquireOwnerLock } from "../../src/storage/owner-lock.js";
import { tempDirs } from "./temp-dirs.js";

const CHILD = fileURLToPath(new URL("./owner-lock-child.ts", import.meta.url));
const OPENERS = 40;
const ROUNDS = 6;
const ATTEMPTS_PER_ROUND = 25;

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

describe("owner lock: many openers at once", () => {
  it(`${OPENERS} processes × ${ROUNDS} rounds: never two owners, stale locks taken over`, async () => {
    const dir = dirs.make();
    const lockPath = join(dir, "owner.lock");
    const openers = new LockRacers(OPENERS, ["--import", "tsx", CHILD, lockPath, join(dir, "owner-marker")]);
    try {
      await openers.ready();
      const reports = await runLockRace(openers, lockPath, { rounds: ROUNDS, attempts: ATTEMPTS_PER_ROUND });
      for (const report of reports) {
        expect(report).toMatchObject({ violations: 0, errors: 0, firstProblems: [], lockLeft: false });
        expect(report.acquired).toBeGreaterThan(0);
        expect(report.acquired + report.busy).toBe(OPENERS * ATTEMPTS_PER_ROUND);
      }
      // every other round started from a dead owner's lock
      expect(reports.filter((report) => report.stale)).toHaveLength(ROUNDS / 2);
    } finally {
      openers.close();
    }
    // 40 node processes starting on a loaded machine take their time: no time limit here
  }, 0);

  it("fails fast naming the live owner's pid, and never takes a live owner's lock", () => {
    const lockPath = join(dirs.make(), "owner.lock");
    const release = acquireOwnerLock(lockPath);
    expect(() => acquireOwnerLock(lockPath)).toThrow(
      expect.objectContaining({ code: "STATE_DIR_BUSY", message: expect.stringContaining("this process") }),
    );
    expect(readFileSync(lockPath, "utf8")).toBe(`${process.pid}\n`);
    release();
    writeFileSync(lockPath, "1\n"); // init: alive, and not ours
    expect(() => acquireOwnerLock(lockPath)).toThrow(
      expect.objectContaining({ code: "STATE_DIR_BUSY", message: expect.stringContaining("process 1") }),
    );
    expect(readFileSync(lockPath, "utf8")).toBe("1\n");
  });
});
