/**
 * The storage and memory rows of issue 13 (items 3 and 6) for `pnpm bench`: runs each workload
 * in a child process of its own (bp-write-1g.ts, bp-read-1g.ts, bp-cycles.ts) so each peak RSS
 * belongs to one workload, then prints one JSON object `{"rows": [...]}` as the last stdout line
 * (bench/index.ts puts the rows in the one table). Progress goes to stderr.
 * Usage: node --import tsx bench/storage.ts [--quick]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { type BenchRow, MIB } from "./measure.js";

const quick = process.argv.includes("--quick");
const BP_BYTES = (quick ? 32 : 1024) * MIB;
const CYCLES = quick ? 2 : 10;
const RATIO_GOAL = 0.9;
const PEAK_RSS_GOAL_BYTES = 100 * MIB;
/** "Flat": what the memory test (test/storage/memory-flat.test.ts) allows over its cycles. */
const FLAT_RSS_BYTES = 16 * MIB;
const FLAT_HEAP_BYTES = 4 * MIB;
const SECTION = "storage";

interface WriteFigures {
  bpBytes: number;
  pieceBytes: number;
  downloadSeconds: number;
  commitSeconds: number;
  seconds: number;
  rawSeconds: number;
  rawWriteSeconds: number;
  rawSyncSeconds: number;
  rawRatio: number;
  store?: { seconds: number };
  storeRawRatio?: number;
  rssAtStartBytes: number;
  maxRssBytes: number;
}

interface ReadFigures {
  seconds: number;
  mibPerSecond: number;
  rssAtStartBytes: number;
  maxRssBytes: number;
}

interface CycleFigures {
  rssAfterCycleBytes: number[];
  growthBytes: { rss: number; heapUsed: number; arrayBuffers: number };
  secondsPerCycle: number[];
  maxRssBytes: number;
}

/**
 * Each child runs as one bundled JavaScript file, as an installed package runs, not under tsx:
 * tsx's loader thread and TypeScript transforms held 35-40 MiB of the child's RSS (87-91 MiB at
 * the start against 51-52 MiB bundled), which is the runner's memory, not the workload's.
 */
function bundled(script: string): string {
  const source = fileURLToPath(new URL(`./${script}`, import.meta.url));
  bundleDir ??= mkdtempSync(join(tmpdir(), "bplab-storage-bench-js-"));
  const outfile = join(bundleDir, script.replace(/\.ts$/, ".mjs"));
  buildSync({
    entryPoints: [source],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "warning",
  });
  return outfile;
}
let bundleDir: string | undefined;

function runChild<T>(script: string, args: string[], nodeFlags: string[] = []): T {
  process.stderr.write(`storage bench: ${script} ${args.join(" ")}\n`);
  const child = spawnSync(process.execPath, [...nodeFlags, bundled(script), ...args], {
    encoding: "utf8",
    maxBuffer: MIB,
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (child.status !== 0) throw new Error(`${script} failed with exit code ${child.status}`);
  const lastLine = child.stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(lastLine) as T;
}

const mib = (bytes: number) => bytes / MIB;
const round = (value: number, digits = 1) => Number(value.toFixed(digits));

function writeRows(write: WriteFigures): BenchRow[] {
  const size = `${mib(write.bpBytes)} MiB`;
  const limitName = `raw writer, same ${write.pieceBytes / 1024} KiB pieces + fdatasync (same run)`;
  const rows: BenchRow[] = [
    {
      section: SECTION,
      workload: `${size} download + commit, file-backed, ${write.pieceBytes / 1024} KiB pieces`,
      value: round(mib(write.bpBytes) / write.seconds),
      unit: "MiB/s",
      limit: round(mib(write.bpBytes) / write.rawSeconds),
      limitName,
      ratio: round(write.rawRatio, 3),
      goal: ">= 90%",
      met: write.rawRatio >= RATIO_GOAL,
      notes:
        `download ${round(write.downloadSeconds, 2)} s + commit ${round(write.commitSeconds, 2)} s; ` +
        `raw ${round(write.rawWriteSeconds, 2)} s write + ${round(write.rawSyncSeconds, 2)} s fdatasync ` +
        "(the better of a run before and one after); lean host (bench/lean-host.ts)",
    },
  ];
  if (write.store && write.storeRawRatio !== undefined) {
    rows.push({
      section: SECTION,
      workload: `${size} stageWrite of each piece + commit, the store alone (no controller)`,
      value: round(mib(write.bpBytes) / write.store.seconds),
      unit: "MiB/s",
      limit: round(mib(write.bpBytes) / write.rawSeconds),
      limitName,
      ratio: round(write.storeRawRatio, 3),
      goal: "report",
    });
  }
  rows.push(peakRow(`peak RSS, ${size} download + commit`, write));
  return rows;
}

function peakRow(workload: string, figures: { maxRssBytes: number; rssAtStartBytes: number }): BenchRow {
  return {
    section: SECTION,
    workload,
    value: round(mib(figures.maxRssBytes)),
    unit: "MiB",
    goal: "<= 100 MiB",
    met: figures.maxRssBytes <= PEAK_RSS_GOAL_BYTES,
    notes: `the process held ${round(mib(figures.rssAtStartBytes))} MiB before the workload (Node and the bundled modules)`,
  };
}

function cycleRow(cycles: CycleFigures): BenchRow {
  const { rss, heapUsed } = cycles.growthBytes;
  return {
    section: SECTION,
    workload: `RSS growth over ${CYCLES} x ${mib(BP_BYTES)} MiB download + commit + read cycles, one process`,
    value: round(mib(rss), 2),
    unit: "MiB",
    goal: "flat",
    met: rss < FLAT_RSS_BYTES && heapUsed < FLAT_HEAP_BYTES,
    notes:
      `RSS after each cycle: ${cycles.rssAfterCycleBytes.map((bytes) => round(mib(bytes))).join(", ")} MiB; ` +
      `heap growth ${round(mib(heapUsed), 2)} MiB; peak ${round(mib(cycles.maxRssBytes))} MiB`,
  };
}

const dir = mkdtempSync(join(tmpdir(), "bplab-storage-bench-"));
try {
  const state = join(dir, "state");
  const write = runChild<WriteFigures>("bp-write-1g.ts", [state, String(BP_BYTES), "--store-only"]);
  const read = runChild<ReadFigures>("bp-read-1g.ts", [state]);
  rmSync(state, { recursive: true, force: true });
  const cycles = runChild<CycleFigures>(
    "bp-cycles.ts",
    [join(dir, "cycles"), String(BP_BYTES), String(CYCLES)],
    ["--expose-gc"],
  );
  const rows: BenchRow[] = [
    ...writeRows(write),
    {
      ...peakRow(`peak RSS, ${mib(BP_BYTES)} MiB read (Get Log Page 15h, 512 KiB commands)`, read),
      notes: `${round(read.mibPerSecond)} MiB/s; ${peakRow("", read).notes}`,
    },
    cycleRow(cycles),
  ];
  process.stdout.write(`${JSON.stringify({ rows })}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  if (bundleDir !== undefined) rmSync(bundleDir, { recursive: true, force: true });
}
