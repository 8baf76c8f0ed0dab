/**
 * The pid lock under contention: dozens of processes race for one lock path, round after round,
 * some rounds starting from a lock whose owner died. At no time may two of them hold it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { LockRacers, runLockRace } from "../src/testing/index.js";

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
      for (const report of await runLockRace(racers, lockPath, { rounds: ROUNDS, attempts })) {
        expect(report).toMatchObject({ violations: 0, errors: 0, firstProblems: [], lockLeft: false });
        expect(report.acquired + report.busy).toBe(PROCESSES * attempts);
        // waiting racers all get their turn; failing-fast ones at least one per round
        if (mode === "wait") expect(report.acquired).toBe(PROCESSES * attempts);
        else expect(report.acquired).toBeGreaterThan(0);
        expect(existsSync(`${lockPath}.takeover`)).toBe(false);
      }
    } finally {
      racers.close();
    }
  });
});
