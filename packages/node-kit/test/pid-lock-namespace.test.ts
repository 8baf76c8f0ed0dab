/**
 * Pid locks shared across PID namespaces (containers) and boots: a lock's pid means something
 * only where it was written. The holder here is a real process in a new PID namespace
 * (unshare --pid), at a pid chosen to be dead in ours or equal to ours.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  acquirePidLock,
  currentProcessPlace,
  formatLockOwner,
  isLockHeld,
  judgeLockOwner,
  PidLockBusyError,
  PidLockForeignOwnerError,
  parseLockOwner,
  processIsAlive,
  readLockOwner,
  readLockRecord,
} from "../src/index.js";
import { deadPid, ForeignLockHolder, newPidNamespaceUnavailableReason } from "../src/testing/index.js";
import { tempLockPaths } from "./temp-lock-path.js";

const lockPath = tempLockPaths("owner.lock");
const here = currentProcessPlace();

const noNamespaces = newPidNamespaceUnavailableReason();
if (noNamespaces) console.warn(`skipping the real PID namespace tests: ${noNamespaces}`);

describe.skipIf(noNamespaces)("a lock held from another PID namespace", () => {
  it("is not taken over when its pid is dead in ours, in either mode", async () => {
    const path = lockPath();
    const pid = deadPid();
    const holder = await ForeignLockHolder.start(path, { pidInNamespace: pid });
    try {
      expect(holder.owner.pid).toBe(pid); // precondition: the holder sits at a pid dead here
      expect(processIsAlive(pid)).toBe(false);
      expect(holder.owner.pidNamespace).toMatch(/^pid:\[\d+\]$/);
      expect(holder.owner.pidNamespace).not.toBe(here.pidNamespace);
      expect(holder.owner.bootId).toBe(here.bootId);
      const before = readFileSync(path, "utf8");

      let thrown: unknown;
      try {
        acquirePidLock(path, { whenHeld: "fail" });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(PidLockForeignOwnerError);
      expect(thrown).toMatchObject({ code: "PID_LOCK_FOREIGN_OWNER", path, reason: "other-pid-namespace" });
      const message = (thrown as Error).message;
      expect(message).toContain(`process ${pid} in PID namespace ${holder.owner.pidNamespace}`);
      expect(message).toContain(`remove ${path}`);
      await expect(acquirePidLock(path, { whenHeld: "wait", pollMs: 1 })).rejects.toBeInstanceOf(
        PidLockForeignOwnerError,
      );
      expect(isLockHeld(path)).toBe(true);
      expect(readFileSync(path, "utf8")).toBe(before);
    } finally {
      await holder.stop();
    }
    expect(readLockOwner(path)).toBeUndefined(); // the holder released it in its own namespace
  });

  it("whose pid equals ours is reported as another namespace's, not as this process", async () => {
    const path = lockPath();
    const holder = await ForeignLockHolder.start(path, { pidInNamespace: process.pid });
    try {
      expect(holder.owner.pid).toBe(process.pid);
      expect(() => acquirePidLock(path, { whenHeld: "fail" })).toThrow(
        expect.objectContaining({
          code: "PID_LOCK_FOREIGN_OWNER",
          message: expect.not.stringContaining("this process"),
        }),
      );
      expect(() => acquirePidLock(path, { whenHeld: "fail" })).toThrow("another PID namespace");
      // a release by a same-pid handle of ours must not remove the other namespace's lock
      expect(readLockRecord(path)).toEqual(holder.owner);
    } finally {
      await holder.stop();
    }
  });
});

describe("locks of this namespace and boot, and old pid-only locks", () => {
  it("takes over a stale lock written in the new format by this namespace", () => {
    const path = lockPath();
    writeFileSync(path, formatLockOwner({ ...here, pid: deadPid() }));
    const lock = acquirePidLock(path, { whenHeld: "fail" });
    expect(readLockRecord(path)).toEqual({ ...here, pid: process.pid });
    lock.release();
    expect(readLockOwner(path)).toBeUndefined();
  });

  it("reads an old pid-only lock as before: dead taken over, live refused as busy", () => {
    const path = lockPath();
    writeFileSync(path, `${deadPid()}\n`);
    acquirePidLock(path, { whenHeld: "fail" }).release();
    writeFileSync(path, "1\n"); // init: alive
    expect(() => acquirePidLock(path, { whenHeld: "fail" })).toThrow(PidLockBusyError);
    expect(readFileSync(path, "utf8")).toBe("1\n");
  });

  it("writes the pid alone on the first line, so older versions still read the owner", () => {
    const path = lockPath();
    const lock = acquirePidLock(path, { whenHeld: "fail" });
    const [first] = readFileSync(path, "utf8").split("\n");
    expect(first).toBe(String(process.pid));
    expect(Number.parseInt(readFileSync(path, "utf8"), 10)).toBe(process.pid);
    lock.release();
  });

  it("never removes, on release, a lock rewritten by the same pid of another namespace", () => {
    const path = lockPath();
    const lock = acquirePidLock(path, { whenHeld: "fail" });
    const other = formatLockOwner({ ...here, pid: process.pid, pidNamespace: "pid:[1]" });
    writeFileSync(path, other);
    lock.release();
    expect(readFileSync(path, "utf8")).toBe(other);
  });
});

describe("locks from another boot", () => {
  const place = { pidNamespace: "pid:[4026531836]", bootId: "boot-now", host: "lab-1" };
  const alive = () => true; // every pid looks alive here: the boot alone must decide

  it("with this host name: this machine before a reboot, so stale and taken over", () => {
    const path = lockPath();
    writeFileSync(path, formatLockOwner({ ...place, bootId: "boot-before", pid: 7 }));
    const lock = acquirePidLock(path, { whenHeld: "fail", place, isAlive: alive, pid: 9 });
    expect(readLockRecord(path)).toEqual({ ...place, pid: 9 });
    lock.release();
  });

  it("with another host name: another machine on a shared volume, never taken over", () => {
    const path = lockPath();
    const owner = { ...place, host: "lab-2", bootId: "boot-elsewhere", pid: 7 };
    writeFileSync(path, formatLockOwner(owner));
    expect(() => acquirePidLock(path, { whenHeld: "fail", place, isAlive: () => false })).toThrow(
      expect.objectContaining({ code: "PID_LOCK_FOREIGN_OWNER", reason: "other-machine" }),
    );
    expect(isLockHeld(path, () => false, place)).toBe(true);
    expect(readLockRecord(path)).toEqual(owner);
  });

  it("judges by boot before namespace, and by kill() only for its own namespace", () => {
    const dead = () => false;
    expect(judgeLockOwner({ ...place, pid: 7 }, place, alive)).toBe("live");
    expect(judgeLockOwner({ ...place, pid: 7 }, place, dead)).toBe("dead");
    expect(judgeLockOwner({ ...place, pid: 7, pidNamespace: "pid:[9]" }, place, dead)).toBe(
      "other-pid-namespace",
    );
    expect(judgeLockOwner({ ...place, pid: 7, pidNamespace: "pid:[9]", bootId: "b" }, place, alive)).toBe(
      "dead",
    );
    expect(judgeLockOwner({ pid: 7 }, place, alive)).toBe("live"); // old lock: kill() as before
    expect(judgeLockOwner({ pid: 7, bootId: "b" }, place, alive)).toBe("other-machine"); // no host: cannot say
    expect(judgeLockOwner({ ...place, pid: 0 }, place, alive)).toBe("dead");
  });
});

describe("lock file text", () => {
  it("is untrusted: control characters become spaces, values are bounded, unknown keys ignored", () => {
    const owner = parseLockOwner(
      `12\nhost=evil\u001b[2Jhost\nboot-id=${"x".repeat(5000)}\ncolour=red\nnoequals\n`,
    );
    expect(owner).toEqual({ pid: 12, host: "evil [2Jhost", bootId: "x".repeat(256) });
    expect(parseLockOwner("garbage")).toEqual({ pid: 0 });
    expect(formatLockOwner({ pid: 3, host: "a\nb" })).toBe("3\nhost=a b\n");
  });
});
