/**
 * The state directory's owner lock under contention: many processes open one state directory at
 * the same moment, round after round, some rounds starting from a lock left by a dead process.
 * At no time may two of them own it (issue: an opener that read a lock file between its creation
 * and the write of the pid took it for stale, deleted it and became a second owner).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { acquireOwnerLock } from "../../src/storage/owner-lock.js";
import { tempDirs } from "./temp-dirs.js";

const CHILD = fileURLToPath(new URL("./owner-lock-child.ts", import.meta.url));
const OPENERS = 40;
const ROUNDS = 6;
const ATTEMPTS_PER_ROUND = 25;

interface RoundResult {
  acquired: number;
  busy: number;
  violations: string[];
  errors: string[];
}

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

/** A pid that belonged to a process which has exited. */
function deadPid(): number {
  const exited = spawnSync(process.execPath, ["-e", "process.exit(0)"]);
  if (exited.pid === undefined) throw new Error("could not start a short-lived process");
  return exited.pid;
}

/** Child processes that each answer one JSON line per "go" line. */
class Openers {
  private readonly children: ChildProcess[] = [];
  private readonly waiting: Array<Array<(line: string) => void>> = [];

  constructor(count: number, lockPath: string, markerPath: string) {
    for (let index = 0; index < count; index += 1) {
      const child = spawn(process.execPath, ["--import", "tsx", CHILD, lockPath, markerPath], {
        stdio: ["pipe", "pipe", "inherit"],
      });
      const queue: Array<(line: string) => void> = [];
      createInterface({ input: child.stdout! }).on("line", (line) => queue.shift()?.(line));
      this.children.push(child);
      this.waiting.push(queue);
    }
  }

  private nextLines(): Promise<string[]> {
    return Promise.all(this.waiting.map((queue) => new Promise<string>((resolve) => queue.push(resolve))));
  }

  async ready(): Promise<void> {
    const lines = await this.nextLines();
    expect(lines.every((line) => line === "ready")).toBe(true);
  }

  async round(attempts: number): Promise<RoundResult[]> {
    const answers = this.nextLines();
    for (const child of this.children) child.stdin!.write(`go ${attempts}\n`);
    return (await answers).map((line) => JSON.parse(line) as RoundResult);
  }

  close(): void {
    for (const child of this.children) child.stdin!.end();
  }
}

describe("owner lock: many openers at once", () => {
  it(`${OPENERS} processes × ${ROUNDS} rounds: never two owners, stale locks taken over`, async () => {
    const dir = dirs.make();
    const lockPath = join(dir, "owner.lock");
    const openers = new Openers(OPENERS, lockPath, join(dir, "owner-marker"));
    try {
      await openers.ready();
      for (let round = 0; round < ROUNDS; round += 1) {
        // every other round starts from the lock of a process killed while it had the directory
        const stale = round % 2 === 1;
        if (stale) writeFileSync(lockPath, `${deadPid()}\n`);
        const results = await openers.round(ATTEMPTS_PER_ROUND);
        const violations = results.flatMap((result) => result.violations);
        const errors = results.flatMap((result) => result.errors);
        // counts plus the first few, so a failure reads in one screen
        expect({ round, stale, violations: violations.length, errors: errors.length }).toEqual({
          round,
          stale,
          violations: 0,
          errors: 0,
        });
        expect([...violations.slice(0, 3), ...errors.slice(0, 3)]).toEqual([]);
        const acquired = results.reduce((sum, result) => sum + result.acquired, 0);
        const busy = results.reduce((sum, result) => sum + result.busy, 0);
        expect(acquired).toBeGreaterThan(0);
        expect(acquired + busy).toBe(OPENERS * ATTEMPTS_PER_ROUND);
        expect(existsSync(lockPath)).toBe(false);
      }
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
