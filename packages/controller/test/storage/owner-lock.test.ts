/**
 * The state directory's owner lock under contention: many processes open one state directory at
 * the same moment, round after round, some rounds starting from a lock left by a dead process.
 * At no time may two of them own it (issue: an opener that read a lock file between its creation
 * and the write of the pid took it for stale, deleted it and became a second owner).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readLockOwner } from "@bplab/node-kit";
import {
  deadPid,
  ForeignLockHolder,
  LockRacers,
  newPidNamespaceUnavailableReason,
  runLockRace,
} from "@bplab/node-kit/testing";
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
    expect(readLockOwner(lockPath)).toBe(process.pid);
    release();
    writeFileSync(lockPath, "1\n"); // init: alive, and not ours
    expect(() => acquireOwnerLock(lockPath)).toThrow(
      expect.objectContaining({ code: "STATE_DIR_BUSY", message: expect.stringContaining("process 1") }),
    );
    expect(readFileSync(lockPath, "utf8")).toBe("1\n");
  });
});

const noNamespaces = newPidNamespaceUnavailableReason();
if (noNamespaces) console.warn(`skipping the owner lock's PID namespace tests: ${noNamespaces}`);

// A state directory on a volume shared by two containers (or a container and the host): the
// owner's pid belongs to another PID namespace, here a real one (unshare --pid).
describe.skipIf(noNamespaces)("owner lock held from another PID namespace", () => {
  it("is not taken over when the owner's pid is dead in ours", async () => {
    const lockPath = join(dirs.make(), "owner.lock");
    const pid = deadPid();
    const holder = await ForeignLockHolder.start(lockPath, { pidInNamespace: pid });
    try {
      expect(holder.owner.pid).toBe(pid);
      const before = readFileSync(lockPath, "utf8");
      expect(() => acquireOwnerLock(lockPath)).toThrow(
        expect.objectContaining({
          code: "STATE_DIR_FOREIGN_OWNER",
          message: expect.stringContaining(`process ${pid} in PID namespace ${holder.owner.pidNamespace}`),
        }),
      );
      expect(() => acquireOwnerLock(lockPath)).toThrow(`remove ${lockPath}`);
      expect(readFileSync(lockPath, "utf8")).toBe(before);
    } finally {
      await holder.stop();
    }
  });

  it("never says 'already open in this process' when the owner's pid equals ours", async () => {
    const lockPath = join(dirs.make(), "owner.lock");
    const holder = await ForeignLockHolder.start(lockPath, { pidInNamespace: process.pid });
    try {
      expect(holder.owner.pid).toBe(process.pid);
      let thrown: unknown;
      try {
        acquireOwnerLock(lockPath);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: "STATE_DIR_FOREIGN_OWNER" });
      expect((thrown as Error).message).not.toContain("this process");
      expect((thrown as Error).message).toContain("another PID namespace");
    } finally {
      await holder.stop();
    }
    acquireOwnerLock(lockPath)(); // released by its owner: free again
  });
});
