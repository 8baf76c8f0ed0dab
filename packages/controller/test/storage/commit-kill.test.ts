/**
 * Issue 8 item 13 / MC-22: kill -9 inside the commit window, through the controller, with 1 GiB
 * BPs. Each round a child process (commit-kill-child.ts) runs the controller on a state directory
 * in /dev/shm, sets ABPID, unlocks one BP and locks the other until power cycle, downloads an
 * image with Firmware Image Download and commits it with CA=110b. It announces the Firmware
 * Commit command and every commit step on a pipe, and sleeps after each step (slow storage), so
 * the parent's SIGKILL at a random delay after "commit-start" lands inside the commit. The parent
 * then reopens the directory (a power cycle, MC-42) and checks, through a new controller, that
 * the locks are Write Locked and ABPID was kept, and that each BP holds wholly the old image or
 * wholly the new one (every 4 KiB block is stamped with its image's generation and index, so a
 * mix or a torn block is caught), as the last step the child announced allows.
 *
 * A SIGKILL keeps the page cache, so this shows atomicity against process death; the fsyncs are
 * what extend it to power loss (docs/persistence.md).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statfsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { dieWithParent } from "@bplab/node-kit";
import { type BpId, bpinfoCodec, otherBp, RegisterOffset } from "@bplab/nvme-spec";
import { afterAll, describe, expect, it } from "vitest";
import { openStateDir, type StateDir } from "../../src/storage/index.js";
import { getWriteProtection } from "../flows.js";
import { createRig } from "../harness.js";
import { BLOCK_BYTES, type CrashImage, imageBytes } from "./crash-pattern.js";

const GIB = 1024 ** 3;
const MIB = 1024 * 1024;
/** Kills that must land inside the commit window, and a bound on the attempts to get them. */
const INSIDE_KILLS_WANTED = 100;
const MAX_ATTEMPTS = 200;
/** Every this many rounds the image fills the whole 1 GiB BP; the others are 4 KiB to 8 MiB. */
const FULL_IMAGE_EVERY = 40;
/**
 * How long the child sleeps after each of the four commit steps: the window is wide enough that a
 * kill delayed by a loaded host (the parent's timer and pipe read run late) still lands inside.
 */
const STEP_PAUSE_MS = 40;
/** The kill comes this long after "commit-start", at most: most of the stretched window. */
const MAX_KILL_DELAY_MS = 4 * STEP_PAUSE_MS;
/** Two full BPs and a full staged image, plus slack. */
const SHM_NEEDED_BYTES = 3.5 * GIB;
const WRITE_LOCKED_BOTH = 0x12;
const CHILD = fileURLToPath(new URL("./commit-kill-child.ts", import.meta.url));
const SHM = "/dev/shm";

/** The announcements after which the BP must still be old, may be either, or must be new. */
const MUST_BE_OLD = new Set(["commit-start", "staged-extended"]);
const EITHER = new Set(["staged-synced"]);

function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

const shmFree = existsSync(SHM) ? freeBytes(SHM) : 0;
const skipReason =
  shmFree >= SHM_NEEDED_BYTES
    ? undefined
    : `skipping the commit-window kill test: it needs ${SHM_NEEDED_BYTES} free bytes in ${SHM} (tmpfs), found ${shmFree}`;
if (skipReason) console.log(skipReason);

const made: string[] = [];
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** A seeded generator, so a failing round can be replayed from the printed seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

const CHUNK_BYTES = 2 * MIB;

/**
 * "old" or "new" when the BP holds exactly that image (zero-filled past it, MC-21), else where it
 * first differs from both. Past the longer image the BP must read as zeros: on tmpfs a file with
 * no blocks allocated there proves it without reading; otherwise the tail is read.
 */
function classify(state: StateDir, bpid: BpId, oldImage: CrashImage, newImage: CrashImage): string {
  const imagesEnd = Math.max(oldImage.lengthBytes, newImage.lengthBytes);
  const checkedEnd = Math.ceil(imagesEnd / BLOCK_BYTES) * BLOCK_BYTES;
  let matchesOld = true;
  let matchesNew = true;
  const actual = Buffer.alloc(CHUNK_BYTES);
  for (let offset = 0; offset < checkedEnd; offset += CHUNK_BYTES) {
    const view = actual.subarray(0, Math.min(CHUNK_BYTES, checkedEnd - offset));
    state.bootPartitions.readBp(bpid, offset, view);
    matchesOld &&= view.equals(imageBytes(oldImage, offset, view.length));
    matchesNew &&= view.equals(imageBytes(newImage, offset, view.length));
    if (!matchesOld && !matchesNew) return `mix at ${offset}`;
  }
  const allocatedBytes = statSync(join(state.path, `bp${bpid}.img`)).blocks * 512;
  if (allocatedBytes > checkedEnd) {
    const zeros = Buffer.alloc(CHUNK_BYTES);
    for (let offset = checkedEnd; offset < state.bootPartitions.bpSizeBytes; offset += CHUNK_BYTES) {
      const view = actual.subarray(0, Math.min(CHUNK_BYTES, state.bootPartitions.bpSizeBytes - offset));
      state.bootPartitions.readBp(bpid, offset, view);
      if (!view.equals(zeros.subarray(0, view.length))) return `non-zero tail at or after ${offset}`;
    }
  }
  return matchesOld ? "old" : "new";
}

interface ChildRun {
  /** Every line the child announced, in order, up to its death. */
  lines: string[];
  killedAfterMs: number | undefined;
  exitCode: number | null;
  /** "SIGKILL" when the parent's kill ended it, as every round must. */
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** A child that is loading its modules; `run` hands it its round and kills it inside the commit. */
interface WarmChild {
  /** `delayMs` undefined lets the commit finish: the child runs to "closed". */
  run(args: readonly (string | number)[], delayMs: number | undefined): Promise<ChildRun>;
}

function spawnWarmChild(): WarmChild {
  const { command, args } = dieWithParent(process.execPath, ["--import", "tsx", CHILD]);
  const child = spawn(command, args, {
    stdio: ["pipe", "ignore", "pipe", "pipe"],
  });
  const run: ChildRun = { lines: [], killedAfterMs: undefined, exitCode: null, signal: null, stderr: "" };
  let delayMs: number | undefined;
  let pending = "";
  const announcements = child.stdio[3] as Readable;
  announcements.on("data", (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      run.lines.push(line);
      // A run without a kill ends once the child has closed its state directory (it waits there).
      if (line === "closed" && delayMs === undefined) child.kill("SIGKILL");
      if (line !== "commit-start" || delayMs === undefined) continue;
      const commitStartedAt = performance.now();
      setTimeout(() => {
        run.killedAfterMs = performance.now() - commitStartedAt;
        child.kill("SIGKILL");
      }, delayMs);
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    run.stderr += chunk.toString();
  });
  const ended = new Promise<ChildRun>((resolve, reject) => {
    child.on("error", reject);
    // "close" waits for the pipes to drain, so every line written before the kill is in.
    child.on("close", (code, signal) => {
      run.exitCode = code;
      run.signal = signal;
      resolve(run);
    });
  });
  return {
    run(args, delay) {
      delayMs = delay;
      child.stdin?.end(`${args.join(" ")}\n`);
      return ended;
    },
  };
}

/** What a restarted controller reports: FID 85h current states and BPINFO.ABPID. */
function afterRestart(state: StateDir): { locksDw0: number; abpid: number } {
  const rig = createRig({ store: state });
  rig.host.enable();
  const locksDw0 = getWriteProtection(rig).dw0;
  const { abpid } = bpinfoCodec.decode(rig.controller.mmioRead32(RegisterOffset.BPINFO));
  return { locksDw0, abpid };
}

describe("the kill test's child process", () => {
  // A child that stages something other than its image would read as a "mix" after a rename and
  // look like torn storage. Images whose last piece is one page, exactly two pages (PRP2 is then
  // the second data page, not a PRP list) or more, committed without a kill, must read as new.
  it("stages exactly its image, whatever the length of the last piece", { timeout: 0 }, async () => {
    const base = mkdtempSync(join(existsSync(SHM) ? SHM : tmpdir(), "bplab-commit-child-"));
    made.push(base);
    const dir = join(base, "state");
    const bpid: BpId = 0;
    const before: CrashImage = { generation: 1, lengthBytes: 0 };
    openStateDir(dir, { create: { bpSizeBytes: 16 * MIB } }).close();
    const results: string[] = [];
    const lengths = [
      BLOCK_BYTES,
      2 * BLOCK_BYTES,
      3 * BLOCK_BYTES,
      2 * MIB + 2 * BLOCK_BYTES,
      4 * MIB + BLOCK_BYTES,
    ];
    for (const [index, lengthBytes] of lengths.entries()) {
      const next: CrashImage = { generation: index + 2, lengthBytes };
      const run = await spawnWarmChild().run([dir, bpid, next.generation, lengthBytes, 0, 0], undefined);
      expect(run.lines.at(-1), `${lengthBytes} bytes: ${run.stderr}`).toBe("closed");
      const state = openStateDir(dir);
      try {
        results.push(`${lengthBytes}: ${classify(state, bpid, before, next)}`);
      } finally {
        state.close();
      }
    }
    expect(results).toEqual(lengths.map((lengthBytes) => `${lengthBytes}: new`));
  });
});

describe("kill -9 inside the commit window, through the controller, 1 GiB BPs (MC-22)", () => {
  it.skipIf(skipReason !== undefined)(
    `leaves old or new content, Write Locked BPs and ABPID after ${INSIDE_KILLS_WANTED} kills inside the commit`,
    { timeout: 0 },
    async () => {
      const seed = Date.now() % 1_000_000;
      const random = seededRandom(seed);
      const base = mkdtempSync(join(SHM, "bplab-commit-kill-"));
      made.push(base);
      const dir = join(base, "state");
      const current: [CrashImage, CrashImage] = [
        { generation: 1, lengthBytes: 64 * 1024 },
        { generation: 2, lengthBytes: 128 * 1024 },
      ];
      const setup = openStateDir(dir, { create: { bpSizeBytes: GIB } });
      for (const bpid of [0, 1] as const) {
        setup.bootPartitions.stageWrite(0, imageBytes(current[bpid], 0, current[bpid].lengthBytes));
        setup.bootPartitions.commitStaged(bpid);
      }
      setup.close();

      let warm = spawnWarmChild();
      const counts = { attempted: 0, inside: 0, old: 0, new: 0, fullImageRounds: 0 };
      const byLastStep = new Map<string, number>();
      const log: string[] = [];
      for (let round = 0; round < MAX_ATTEMPTS && counts.inside < INSIDE_KILLS_WANTED; round++) {
        const bpid: BpId = round % 2 === 0 ? 1 : 0;
        const other = otherBp(bpid);
        const full = round % FULL_IMAGE_EVERY === FULL_IMAGE_EVERY - 1;
        const lengthBytes = full ? GIB : (1 + Math.floor(random() * 2048)) * BLOCK_BYTES;
        const next: CrashImage = { generation: round + 3, lengthBytes };
        const abpid = random() < 0.5 ? 0 : 1;
        const delayMs = Math.floor(random() * MAX_KILL_DELAY_MS);
        const child = warm;
        warm = spawnWarmChild();
        const run = await child.run([dir, bpid, next.generation, lengthBytes, abpid, STEP_PAUSE_MS], delayMs);
        const where = `round ${round} (seed ${seed}, BP${bpid}, ${lengthBytes} bytes, kill ${delayMs} ms after commit-start)`;
        expect(
          run.signal,
          `${where}: the child must end by the kill, not on its own (exit code ${run.exitCode}): ${run.stderr}`,
        ).toBe("SIGKILL");
        counts.attempted += 1;
        if (full) counts.fullImageRounds += 1;

        const lastLine = run.lines.at(-1) ?? "";
        const inside =
          run.lines.includes("commit-start") && !lastLine.startsWith("commit-done") && lastLine !== "closed";
        if (inside) counts.inside += 1;
        byLastStep.set(lastLine, (byLastStep.get(lastLine) ?? 0) + 1);
        expect(run.lines, `${where}: ABPID set before the commit`).toContain(`abpid ${abpid}`);

        const state = openStateDir(dir);
        try {
          const target = classify(state, bpid, current[bpid], next);
          const untouched = classify(state, other, current[other], current[other]);
          log.push(`${where}: last "${lastLine}", BP${bpid} ${target}`);
          expect(target, where).toMatch(/^(old|new)$/);
          expect(untouched, `${where}: the other BP`).toBe("old");
          if (MUST_BE_OLD.has(lastLine)) expect(target, `${where}: killed before the rename`).toBe("old");
          else if (!EITHER.has(lastLine)) expect(target, `${where}: killed after the rename`).toBe("new");
          const restarted = afterRestart(state);
          expect(restarted.locksDw0, `${where}: locks after the restart (power cycle)`).toBe(
            WRITE_LOCKED_BOTH,
          );
          expect(restarted.abpid, `${where}: ABPID kept`).toBe(abpid);
          if (target === "new") {
            current[bpid] = next;
            counts.new += 1;
          } else {
            counts.old += 1;
          }
        } finally {
          state.close();
        }
      }
      await warm.run([], 0);
      const steps = [...byLastStep].map(([step, count]) => `${step}: ${count}`).join(", ");
      console.log(
        `commit-window kills (seed ${seed}): attempted ${counts.attempted}, inside the commit window ${counts.inside}, ` +
          `BP old ${counts.old}, BP new ${counts.new}, full 1 GiB images ${counts.fullImageRounds}; last step announced: ${steps}`,
      );
      if (counts.inside < INSIDE_KILLS_WANTED) console.log(log.join("\n"));
      expect(counts.inside).toBeGreaterThanOrEqual(INSIDE_KILLS_WANTED);
    },
  );
});
