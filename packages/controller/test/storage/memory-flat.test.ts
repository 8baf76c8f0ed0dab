/**
 * Issue 13 item 6: memory stays flat over repeated whole-BP cycles, and no buffer of the whole
 * image exists. A child process (bench/bp-cycles.ts, so the figures are its own and not the test
 * runner's) downloads, commits and reads back a 64 MiB BP ten times through the controller and a
 * state directory, collecting garbage after each cycle. A leak of one piece per command, or of
 * one object per command, grows the heap by megabytes per cycle; a whole-image buffer shows as a
 * peak 64 MiB above the start.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { tempDirs } from "./temp-dirs.js";

const MIB = 1024 * 1024;
const BP_BYTES = 64 * MIB;
const CYCLES = 10;

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

interface CycleFigures {
  cycles: number;
  rssAfterCycleBytes: number[];
  growthBytes: { rss: number; heapUsed: number; arrayBuffers: number };
  rssAtStartBytes: number;
  maxRssBytes: number;
}

function runCycles(): CycleFigures {
  const script = fileURLToPath(new URL("../../bench/bp-cycles.ts", import.meta.url));
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", "--import", "tsx", script, join(dirs.make(), "state"), String(BP_BYTES), String(CYCLES)],
    { encoding: "utf8", maxBuffer: MIB },
  );
  if (child.status !== 0) throw new Error(`bp-cycles failed (${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout) as CycleFigures;
}

describe("memory over repeated download + commit + read cycles (file-backed, 64 MiB BP)", () => {
  // timeout 0 = no time limit (this package's vitest config keeps the 5 s default).
  it("stays flat over 10 cycles and never holds the whole image", { timeout: 0 }, () => {
    const figures = runCycles();
    console.log(
      `RSS after each cycle (MiB): ${figures.rssAfterCycleBytes.map((bytes) => (bytes / MIB).toFixed(1)).join(" ")}; ` +
        `growth: rss ${(figures.growthBytes.rss / MIB).toFixed(2)} MiB, heap ${(figures.growthBytes.heapUsed / MIB).toFixed(2)} MiB, ` +
        `ArrayBuffers ${(figures.growthBytes.arrayBuffers / MIB).toFixed(2)} MiB; peak ${(figures.maxRssBytes / MIB).toFixed(1)} MiB`,
    );
    expect(figures.cycles).toBe(CYCLES);
    // 16 Ki commands per cycle: 4 MiB over nine cycles is under 30 bytes per command.
    expect(figures.growthBytes.heapUsed).toBeLessThan(4 * MIB);
    expect(figures.growthBytes.arrayBuffers).toBeLessThan(4 * MIB);
    expect(figures.growthBytes.rss).toBeLessThan(16 * MIB);
    // Half the image: a whole-image buffer anywhere would push the peak past this.
    expect(figures.maxRssBytes - figures.rssAtStartBytes).toBeLessThan(BP_BYTES / 2);
  });
});
