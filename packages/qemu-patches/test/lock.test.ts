import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { build } from "../src/build.js";
import { isLockHeld, LOCK_FILE_NAME, lockOwner, processIsAlive, withLock } from "../src/lock.js";
import { buildLayout } from "../src/paths.js";
import { fakeBuiltCache } from "./fixtures.js";
import { tempDir } from "./helpers.js";

const OTHER_PID = 424242;

describe("withLock", () => {
  it("holds the lock, with this pid in it, while the body runs and removes it afterwards", async () => {
    const path = join(tempDir(), "tree", LOCK_FILE_NAME);
    const seen = await withLock(path, async () => lockOwner(path));
    expect(seen).toBe(process.pid);
    expect(existsSync(path)).toBe(false);
  });

  it("removes the lock when the body throws", async () => {
    const path = join(tempDir(), LOCK_FILE_NAME);
    await expect(
      withLock(path, async () => {
        throw new Error("ninja failed");
      }),
    ).rejects.toThrow("ninja failed");
    expect(existsSync(path)).toBe(false);
  });

  it("waits while a live process holds the lock, reports it once, then takes it", async () => {
    const path = join(tempDir(), LOCK_FILE_NAME);
    writeFileSync(path, `${OTHER_PID}\n`);
    const waitedFor: number[] = [];
    let sleeps = 0;
    const order: string[] = [];
    await withLock(
      path,
      async () => {
        order.push("body");
      },
      {
        isAlive: (pid) => pid === OTHER_PID,
        onWait: (pid) => waitedFor.push(pid),
        sleep: async () => {
          sleeps += 1;
          order.push("sleep");
          // the other process finishes after the third look
          if (sleeps === 3) rmSync(path);
        },
      },
    );
    expect(waitedFor).toEqual([OTHER_PID]);
    expect(order).toEqual(["sleep", "sleep", "sleep", "body"]);
  });

  it("takes over a lock whose owner is gone, and one that holds no pid", async () => {
    const dir = tempDir();
    for (const content of [`${OTHER_PID}\n`, "garbage"]) {
      const path = join(dir, LOCK_FILE_NAME);
      writeFileSync(path, content);
      const onWait: number[] = [];
      const owner = await withLock(path, async () => readFileSync(path, "utf8"), {
        isAlive: () => false,
        onWait: (pid) => onWait.push(pid),
      });
      // the pid is the lock's first line; node-kit adds where it lives on the next lines
      expect(owner.split("\n")[0]).toBe(String(process.pid));
      expect(onWait).toEqual([]);
    }
  });
});

describe("withLock and a stale lock taken over by someone else", () => {
  it("waits for the process that took the stale lock first instead of removing its fresh lock", async () => {
    // Another builder removes the dead owner's lock and takes it between our read and our removal;
    // a plain "read, see a dead pid, remove" would delete its lock and build alongside it.
    const path = join(tempDir(), LOCK_FILE_NAME);
    writeFileSync(path, `${OTHER_PID + 1}\n`);
    let otherTookIt = false;
    const waitedFor: number[] = [];
    await withLock(path, async () => undefined, {
      isAlive: (pid) => {
        if (pid === OTHER_PID + 1 && !otherTookIt) {
          otherTookIt = true;
          rmSync(path);
          writeFileSync(path, `${OTHER_PID}\n`);
        }
        return pid === OTHER_PID && existsSync(path);
      },
      onWait: (pid) => waitedFor.push(pid),
      sleep: async () => rmSync(path), // the other builder finishes
    });
    expect(waitedFor).toEqual([OTHER_PID]);
  });
});

describe("lock helpers", () => {
  it("tells a held lock from a stale or missing one", () => {
    const path = join(tempDir(), LOCK_FILE_NAME);
    expect(lockOwner(path)).toBeUndefined();
    expect(isLockHeld(path)).toBe(false);
    writeFileSync(path, `${process.pid}\n`);
    expect(isLockHeld(path)).toBe(true);
    expect(isLockHeld(path, () => false)).toBe(false);
  });

  it("knows this process is alive", () => {
    expect(processIsAlive(process.pid)).toBe(true);
  });
});

describe("build and the lock", () => {
  it("waits for another process building the same key, then reuses its build", async () => {
    const built = fakeBuiltCache();
    const layout = buildLayout(built.stamp.key, { cacheDir: built.cacheDir });
    const stamp = readFileSync(layout.stampFile, "utf8");
    rmSync(layout.stampFile);
    const lock = join(layout.root, LOCK_FILE_NAME);
    writeFileSync(lock, `${OTHER_PID}\n`);
    const waited: string[] = [];
    const result = await build({
      cacheDir: built.cacheDir,
      env: {},
      onProgress: (event) => waited.push(event.message),
      lock: {
        isAlive: (pid) => pid === OTHER_PID,
        // the other process finishes its build while we wait
        sleep: async () => {
          writeFileSync(layout.stampFile, stamp);
          rmSync(lock);
        },
      },
    });
    expect(result.cached).toBe(true);
    expect(waited).toContain(`waiting for process ${OTHER_PID}, which holds ${lock}`);
    expect(existsSync(lock)).toBe(false);
  });
});
