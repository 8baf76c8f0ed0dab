import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  acquirePidLock,
  currentProcessPlace,
  formatLockOwner,
  isLockHeld,
  PidLockBusyError,
  processIsAlive,
  readLockOwner,
  withPidLock,
} from "../src/index.js";
import { deadPid } from "../src/testing/index.js";
import { tempLockPaths } from "./temp-lock-path.js";

const lockPath = tempLockPaths();
const OTHER_PID = 424242;

describe("processIsAlive", () => {
  it("knows this process and init are alive, and an exited one is not", () => {
    expect(processIsAlive(process.pid)).toBe(true);
    expect(processIsAlive(1)).toBe(true); // EPERM when not root: still alive
    expect(processIsAlive(deadPid())).toBe(false);
  });

  it("never signals a process group: 0, negative and non-integer pids are not alive", () => {
    for (const pid of [0, -1, -process.pid, 1.5, Number.NaN]) expect(processIsAlive(pid)).toBe(false);
  });
});

describe("acquirePidLock", () => {
  it("writes this pid, complete, and release removes it once", () => {
    const path = lockPath();
    const lock = acquirePidLock(path, { whenHeld: "fail" });
    expect(readFileSync(path, "utf8")).toBe(formatLockOwner({ ...currentProcessPlace(), pid: process.pid }));
    expect(isLockHeld(path)).toBe(true);
    lock.release();
    expect(existsSync(path)).toBe(false);
    const next = acquirePidLock(path, { whenHeld: "fail" });
    lock.release(); // a second release of the old handle does not remove the new lock
    expect(readLockOwner(path)).toBe(process.pid);
    next.release();
  });

  it("fails fast with PID_LOCK_BUSY naming a live holder and leaves its lock alone", () => {
    const path = lockPath();
    writeFileSync(path, `${OTHER_PID}\n`);
    let thrown: unknown;
    try {
      acquirePidLock(path, { whenHeld: "fail", isAlive: (pid) => pid === OTHER_PID });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PidLockBusyError);
    expect(thrown).toMatchObject({ code: "PID_LOCK_BUSY", ownerPid: OTHER_PID, path });
    expect((thrown as Error).message).toContain(`process ${OTHER_PID}`);
    expect(readFileSync(path, "utf8")).toBe(`${OTHER_PID}\n`);
  });

  it("takes over the lock of a dead process, and one that holds no pid", () => {
    for (const content of [`${deadPid()}\n`, "", "garbage"]) {
      const path = lockPath();
      writeFileSync(path, content);
      const lock = acquirePidLock(path, { whenHeld: "fail" });
      expect(readLockOwner(path)).toBe(process.pid);
      lock.release();
    }
  });

  it("never removes a lock another process took over while this one judged the old one stale", () => {
    // The interleaving that made two owners with a plain "read, see a dead pid, remove": between
    // our read of the dead owner and our removal, another opener removes it and takes the lock.
    const path = lockPath();
    const dead = deadPid();
    writeFileSync(path, `${dead}\n`);
    let otherOpenerRan = false;
    const isAlive = (pid: number) => {
      if (pid === dead && !otherOpenerRan) {
        otherOpenerRan = true;
        rmSync(path);
        writeFileSync(path, `${OTHER_PID}\n`);
      }
      return pid === OTHER_PID;
    };
    expect(() => acquirePidLock(path, { whenHeld: "fail", isAlive })).toThrow(
      expect.objectContaining({ code: "PID_LOCK_BUSY", ownerPid: OTHER_PID }),
    );
    expect(otherOpenerRan).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(`${OTHER_PID}\n`);
  });

  it("breaks a takeover guard left by a process that died in it", () => {
    const path = lockPath();
    writeFileSync(path, `${deadPid()}\n`);
    writeFileSync(`${path}.takeover`, `${deadPid()}\n`);
    acquirePidLock(path, { whenHeld: "fail" }).release();
    expect(existsSync(`${path}.takeover`)).toBe(false);
    expect(existsSync(`${path}.takeover.takeover`)).toBe(false);
  });

  it("reports busy while a live process is taking over a stale lock", () => {
    const path = lockPath();
    writeFileSync(path, `${deadPid()}\n`);
    writeFileSync(`${path}.takeover`, `${OTHER_PID}\n`);
    expect(() => acquirePidLock(path, { whenHeld: "fail", isAlive: (pid) => pid === OTHER_PID })).toThrow(
      expect.objectContaining({ code: "PID_LOCK_BUSY", ownerPid: OTHER_PID }),
    );
  });

  it("waits for a live holder, reports it once, then takes the lock", async () => {
    const path = lockPath();
    writeFileSync(path, `${OTHER_PID}\n`);
    const waitedFor: number[] = [];
    let sleeps = 0;
    const lock = await acquirePidLock(path, {
      whenHeld: "wait",
      isAlive: (pid) => pid === OTHER_PID,
      onWait: (pid) => waitedFor.push(pid),
      sleep: async () => {
        sleeps += 1;
        if (sleeps === 3) rmSync(path); // the holder finishes after the third look
      },
    });
    expect(waitedFor).toEqual([OTHER_PID]);
    expect(sleeps).toBe(3);
    expect(readLockOwner(path)).toBe(process.pid);
    lock.release();
  });
});

describe("withPidLock", () => {
  it("holds the lock while the body runs and releases it when the body throws", async () => {
    const path = lockPath();
    expect(await withPidLock(path, async () => readLockOwner(path), { whenHeld: "fail" })).toBe(process.pid);
    await expect(
      withPidLock(
        path,
        async () => {
          throw new Error("body failed");
        },
        { whenHeld: "wait" },
      ),
    ).rejects.toThrow("body failed");
    expect(existsSync(path)).toBe(false);
  });
});
