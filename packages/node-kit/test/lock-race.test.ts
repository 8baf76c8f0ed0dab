/**
 * The pid lock under contention: dozens of processes race for one lock path, round after round,
 * some rounds starting from a lock whose owner died. At no time may two of them hold it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { deadPid } from "./dead-pid.js";
import type { RoundResult } from "./lock-child.js";

const CHILD = fileURLToPath(new URL("./lock-child.ts", import.meta.url));
const PROCESSES = 32;
const ROUNDS = 4;
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** Child processes that each answer one JSON line per "go" line. */
class Racers {
  private readonly children: ChildProcess[] = [];
  private readonly waiting: Array<Array<(line: string) => void>> = [];

  constructor(count: number, args: readonly string[]) {
    for (let index = 0; index < count; index += 1) {
      const child = spawn(process.execPath, ["--import", "tsx", CHILD, ...args], {
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
    expect(new Set(await this.nextLines())).toEqual(new Set(["ready"]));
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

describe.each([
  { mode: "fail", attempts: 25 },
  { mode: "wait", attempts: 5 },
])("pid lock, whenHeld: $mode", ({ mode, attempts }) => {
  it(`${PROCESSES} processes × ${ROUNDS} rounds: never two holders, dead owners taken over`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "bplab-node-kit-"));
    made.push(dir);
    const lockPath = join(dir, "race.lock");
    const racers = new Racers(PROCESSES, [lockPath, join(dir, "marker"), mode]);
    try {
      await racers.ready();
      for (let round = 0; round < ROUNDS; round += 1) {
        const stale = round % 2 === 1;
        if (stale) writeFileSync(lockPath, `${deadPid()}\n`);
        const results = await racers.round(attempts);
        const violations = results.flatMap((result) => result.violations);
        const errors = results.flatMap((result) => result.errors);
        expect({ round, stale, violations, errors }).toEqual({ round, stale, violations: [], errors: [] });
        const acquired = results.reduce((sum, result) => sum + result.acquired, 0);
        const busy = results.reduce((sum, result) => sum + result.busy, 0);
        if (mode === "wait") expect(acquired).toBe(PROCESSES * attempts);
        else expect(acquired).toBeGreaterThan(0);
        expect(acquired + busy).toBe(PROCESSES * attempts);
        expect(existsSync(lockPath)).toBe(false);
        expect(existsSync(`${lockPath}.takeover`)).toBe(false);
      }
    } finally {
      racers.close();
    }
  });
});
