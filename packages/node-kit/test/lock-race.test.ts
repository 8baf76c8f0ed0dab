/**
 * The pid lock under contention: dozens of processes race for one lock path, round after round,
 * some rounds starting from a lock whose owner died. At no time may two of them hold it.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { deadPid, LockRacers, summarizeRound } from "../src/testing/index.js";

const CHILD = fileURLToPath(new URL("./lock-child.ts", import.meta.url));
const PROCESSES = 32;
const ROUNDS = 4;
const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

describe.each([
  { mode: "fail", attempts: 25 },
  { mode: "wait", attempts: 5 },
])("pid lock, whenHeld: $mode", ({ mode, attempts }) => {
  it(`${PROCESSES} processes × ${ROUNDS} rounds: never two holders, dead owners taken over`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "bplab-node-kit-"));
    made.push(dir);
    const lockPath = join(dir, "race.lock");
    const racers = new LockRacers(PROCESSES, ["--import", "tsx", CHILD, lockPath, join(dir, "marker"), mode]);
    try {
      await racers.ready();
      for (let round = 0; round < ROUNDS; round += 1) {
        const stale = round % 2 === 1;
        if (stale) writeFileSync(lockPath, `${deadPid()}\n`);
        const { acquired, busy, ...problems } = summarizeRound(await racers.round(attempts));
        expect({ round, stale, ...problems }).toEqual({
          round,
          stale,
          violations: 0,
          errors: 0,
          firstProblems: [],
        });
        // waiting openers all get their turn; failing-fast ones at least one
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
