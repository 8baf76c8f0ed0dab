/**
 * Issue item 5 / MC-22: "a kill -9 at any point during a commit leaves the BP with wholly old or
 * wholly new content". A child process stages and commits a 1 GiB image into a file-backed state
 * directory and is killed with SIGKILL before, during or after the commit; the parent reopens
 * the directory and checks every byte of both BPs. The kill moment is random, so the test asserts
 * only what must hold whatever the timing: old or new, never a mix; old when the commit never
 * started; new once the child said the commit returned.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { statfsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BpId } from "@bplab/nvme-spec";
import { afterAll, describe, expect, it } from "vitest";
import { openStateDir, type StateDir } from "../../src/storage/index.js";
import { type CrashImage, imageBytes, PIECE_BYTES } from "./crash-pattern.js";
import { tempDirs } from "./temp-dirs.js";

const GIB = 1024 ** 3;
const ROUNDS = 6;
/** Two BPs, one staging image, and slack. */
const DISK_NEEDED_BYTES = 4 * GIB;
const CHILD = fileURLToPath(new URL("./crash-child.ts", import.meta.url));

type KillPhase = "staging" | "commit" | "after-commit";
const PHASES: KillPhase[] = ["staging", "commit", "after-commit"];

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** "old" or "new" when the BP holds exactly one of them; "mix at <offset>" otherwise. */
function classify(state: StateDir, bpid: BpId, oldImage: CrashImage, newImage: CrashImage): string {
  let matchesOld = true;
  let matchesNew = true;
  const actual = Buffer.alloc(PIECE_BYTES);
  for (let offset = 0; offset < state.bootPartitions.bpSizeBytes; offset += PIECE_BYTES) {
    state.bootPartitions.readBp(bpid, offset, actual);
    matchesOld &&= actual.equals(imageBytes(oldImage, offset, PIECE_BYTES));
    matchesNew &&= actual.equals(imageBytes(newImage, offset, PIECE_BYTES));
    if (!matchesOld && !matchesNew) return `mix at ${offset}`;
  }
  return matchesOld ? "old" : "new";
}

interface ChildRun {
  lastLine: string;
  killed: boolean;
}

/** Runs the child and kills it at a random moment of `phase`; resolves when it is gone. */
function runAndKill(child: ChildProcess, phase: KillPhase, random: () => number): Promise<ChildRun> {
  const run: ChildRun = { lastLine: "", killed: false };
  const stagingKillAt = Math.floor(random() * (GIB / PIECE_BYTES)) * PIECE_BYTES;
  const kill = () => {
    run.killed = child.kill("SIGKILL");
  };
  let pending = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      if (run.killed) return;
      run.lastLine = line;
      if (phase === "staging" && line.startsWith("staged ") && Number(line.slice(7)) > stagingKillAt) kill();
      // The commit's fsync of 1 GiB takes a while; a random delay lands the kill somewhere in it.
      if (phase === "commit" && line === "commit-start") setTimeout(kill, Math.floor(random() * 1500));
      if (phase === "after-commit" && line === "commit-done") kill();
    }
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL" || code === 0) resolve(run);
      else reject(new Error(`crash child failed (code ${code}, signal ${signal}): ${stderr}`));
    });
  });
}

/** A seeded generator, so a failing round can be replayed from the printed seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("kill -9 during a 1 GiB BP commit (MC-22)", () => {
  const base = dirs.make("bplab-crash-");
  const enoughDisk = freeBytes(base) >= DISK_NEEDED_BYTES;
  if (!enoughDisk) {
    console.log(
      `skipping the kill -9 test: it needs ${DISK_NEEDED_BYTES} free bytes in ${base}, found ${freeBytes(base)}`,
    );
  }

  it.skipIf(!enoughDisk)(
    `leaves old or new content in both BPs after each of ${ROUNDS} kills`,
    { timeout: 0 },
    async () => {
      const seed = Date.now() % 1_000_000;
      const random = seededRandom(seed);
      const dir = join(base, "state");
      const current: [CrashImage, CrashImage] = [
        { generation: 1, lengthBytes: GIB },
        { generation: 2, lengthBytes: GIB },
      ];
      const setup = openStateDir(dir, { create: { bpSizeBytes: GIB } });
      for (const bpid of [0, 1] as const) {
        for (let offset = 0; offset < GIB; offset += PIECE_BYTES) {
          setup.bootPartitions.stageWrite(offset, imageBytes(current[bpid], offset, PIECE_BYTES));
        }
        setup.bootPartitions.commitStaged(bpid);
      }
      setup.close();

      const outcomes: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const bpid: BpId = round % 2 === 0 ? 1 : 0;
        const phase = PHASES[round % PHASES.length] ?? "commit";
        // Some images are shorter than the BP, to check the zero-filled tail (MC-21) survives too.
        const lengthBytes = round % 3 === 1 ? GIB - 3 * PIECE_BYTES - 8192 : GIB;
        const next: CrashImage = { generation: round + 3, lengthBytes };
        const child = spawn(
          process.execPath,
          ["--import", "tsx", CHILD, dir, String(bpid), String(next.generation), String(lengthBytes)],
          {
            stdio: ["ignore", "pipe", "pipe"],
          },
        );
        const run = await runAndKill(child, phase, random);

        const state = openStateDir(dir);
        const other: BpId = bpid === 0 ? 1 : 0;
        const target = classify(state, bpid, current[bpid], next);
        const untouched = classify(state, other, current[other], current[other]);
        state.close();

        const where = `round ${round} (seed ${seed}, BP${bpid}, kill ${phase}, last line "${run.lastLine}")`;
        outcomes.push(`${where}: ${run.killed ? "killed" : "exited"}, BP${bpid} ${target}`);
        expect(target, where).toMatch(/^(old|new)$/);
        expect(untouched, `${where}: the other BP`).toBe("old");
        const commitStarted =
          run.lastLine === "commit-start" ||
          run.lastLine.startsWith("commit-done") ||
          run.lastLine === "closed";
        if (!commitStarted) expect(target, `${where}: the commit never started`).toBe("old");
        if (run.lastLine === "commit-done" || run.lastLine === "closed")
          expect(target, `${where}: commitStaged returned`).toBe("new");
        if (target === "new") current[bpid] = next;
      }
      console.log(`kill -9 rounds:\n  ${outcomes.join("\n  ")}`);
    },
  );
});
