/**
 * `pnpm bench` for the controller: runs every workload once, writes bench-results/controller.json
 * and prints a table. Benchmarks are measurements, never tests: nothing here passes or fails on
 * a time. Usage: node --import tsx bench/index.ts [--quick]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchResult, type BenchRow, copyLimitMibPerSecond, MIB, result } from "./measure.js";
import { benchAdminCommands, benchBpReadBprsel, benchBpReadLog, LARGE_LOG_CHUNK_BYTES } from "./workloads.js";

const quick = process.argv.includes("--quick");
const onlyIndex = process.argv.indexOf("--only");
/**
 * `--only admin|log|log16m|bprsel|write`: one workload; with `--cpu-prof-dir <dir>` its measured
 * part is profiled (docs/performance.md, "Profiles").
 */
const only = onlyIndex >= 0 ? process.argv[onlyIndex + 1] : undefined;
const ADMIN_COMMANDS = quick ? 50_000 : 1_000_000;
/** The size: a 1 GiB BP read once; `--quick` reads 32 MiB (two 16 MiB commands). */
const READ_BP_BYTES = (quick ? 32 : 1024) * MIB;
const READ_PASSES = 1;
const WRITE_BP_BYTES = quick ? 32 * MIB : 1024 * MIB;

function benchBpWrite(): BenchResult {
  const dir = mkdtempSync(join(tmpdir(), "bplab-bench-"));
  try {
    const script = fileURLToPath(new URL("./bp-write-1g.ts", import.meta.url));
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", script, join(dir, "state"), String(WRITE_BP_BYTES)],
      {
        encoding: "utf8",
        maxBuffer: MIB,
      },
    );
    if (child.status !== 0) throw new Error(`the write benchmark failed: ${child.stderr}`);
    const figures = JSON.parse(child.stdout) as {
      bpBytes: number;
      pieceBytes: number;
      commands: number;
      downloadSeconds: number;
      commitSeconds: number;
      peakSampledRssBytes: number;
      maxRssBytes: number;
    };
    const seconds = figures.downloadSeconds + figures.commitSeconds;
    return result(
      {
        name: `download+commit ${figures.bpBytes / MIB} MiB BP, file-backed`,
        unit: "MiB/s",
        value: figures.bpBytes / MIB / seconds,
        bytes: figures.bpBytes,
        seconds,
        notes: {
          pieceBytes: figures.pieceBytes,
          commands: figures.commands,
          downloadSeconds: round(figures.downloadSeconds),
          commitSeconds: round(figures.commitSeconds),
          peakRssMiB: round(figures.maxRssBytes / MIB),
          peakSampledRssMiB: round(figures.peakSampledRssBytes / MIB),
        },
      },
      figures.pieceBytes,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Storage and memory rows come from bench/storage.ts (engineer T8's, issue 13 items 3 and 6). */
const STORAGE_BENCH = fileURLToPath(new URL("./storage.ts", import.meta.url));

function storageBench(): { result?: BenchResult; rows: BenchRow[] } {
  if (existsSync(STORAGE_BENCH)) {
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", STORAGE_BENCH, ...(quick ? ["--quick"] : [])],
      { encoding: "utf8", maxBuffer: 16 * MIB, stdio: ["ignore", "pipe", "inherit"] },
    );
    if (child.status !== 0) throw new Error(`bench/storage.ts failed with status ${child.status}`);
    const lastLine = child.stdout.trim().split("\n").at(-1) ?? "{}";
    return { rows: (JSON.parse(lastLine) as { rows: BenchRow[] }).rows };
  }
  const measured = benchBpWrite();
  return {
    result: measured,
    rows: [
      {
        section: "storage",
        workload: measured.name,
        value: measured.value,
        unit: "MiB/s",
        goal: ">= 90% of a raw fdatasync'd write",
        notes: "no raw writer measured: bench/storage.ts is missing",
      },
    ],
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function table(results: readonly BenchResult[]): string {
  const rows = [
    ["benchmark", "value", "unit", "seconds", "Buffer.copy s", "x copy", "notes"],
    ...results.map((r) => [
      r.name,
      r.value >= 100 ? r.value.toFixed(0) : r.value.toFixed(1),
      r.unit,
      r.seconds.toFixed(2),
      r.baselineSeconds.toFixed(4),
      r.ratioToCopy.toFixed(0),
      Object.entries(r.notes ?? {})
        .map(([key, value]) => `${key}=${value}`)
        .join(" "),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const loadBefore = loadavg();
const want = (name: string) => only === undefined || only === name;
const admin = want("admin") ? benchAdminCommands(ADMIN_COMMANDS) : undefined;
const log = want("log") ? benchBpReadLog(READ_BP_BYTES, READ_PASSES) : undefined;
const log16m = want("log16m") ? benchBpReadLog(READ_BP_BYTES, READ_PASSES, LARGE_LOG_CHUNK_BYTES) : undefined;
const bprsel = want("bprsel") ? benchBpReadBprsel(READ_BP_BYTES, READ_PASSES) : undefined;
const storage = want("write") ? storageBench() : undefined;
const write = storage?.result;
const storageRows = storage?.rows ?? [];
const results = [admin, log, log16m, bprsel, write].filter((r): r is BenchResult => r !== undefined);
const loadAfter = loadavg();

/**
 * The Buffer.copy limit copies between two 64 MiB buffers, which partly stay in the CPU cache; a
 * BP read copies from a source as large as the BP. The second baseline is that copy.
 */
function largeSourceNote(read: BenchResult): string | undefined {
  const seconds = Number(read.notes?.largeSourceCopySeconds);
  if (!Number.isFinite(seconds)) return undefined;
  const mibPerSecond = read.bytes / MIB / seconds;
  return `Buffer.copy from a ${read.notes?.bpBytes} B source into one piece: ${mibPerSecond.toFixed(0)} MiB/s, ratio ${((read.value / mibPerSecond) * 100).toFixed(1)}%`;
}

/** The issue-13 rows, each next to its limit from this run. */
function coreRows(): BenchRow[] {
  const rows: BenchRow[] = [];
  if (admin) {
    rows.push({
      section: "core",
      workload: "admin commands through SQ/CQ, in process (Get Features 85h)",
      value: admin.value,
      unit: "commands/s",
      goal: ">= 250k/s (1M/s stretch)",
      met: admin.value >= 250_000,
    });
  }
  for (const read of [log, bprsel]) {
    if (!read) continue;
    const limit = copyLimitMibPerSecond(read);
    rows.push({
      section: "core",
      workload: `${read.bytes / MIB} MiB ${read.name}, in process`,
      value: read.value,
      unit: "MiB/s",
      limit,
      limitName: `Buffer.copy, ${read.notes?.chunkBytes} B pieces`,
      ratio: read.value / limit,
      goal: read === log ? ">= 50%" : "report",
      met: read === log ? read.value / limit >= 0.5 : undefined,
      notes: largeSourceNote(read),
    });
  }
  if (log16m) {
    const limit = log?.value;
    rows.push({
      section: "core",
      workload: `${log16m.bytes / MIB} MiB ${log16m.name} (MDTS=12)`,
      value: log16m.value,
      unit: "MiB/s",
      limit,
      limitName: "the same read in 512 KiB commands",
      ratio: limit === undefined ? undefined : log16m.value / limit,
      goal: "not slower (>= 100%)",
      met: limit === undefined ? undefined : log16m.value >= limit,
    });
  }
  return rows;
}

const outDir = fileURLToPath(new URL("../bench-results/", import.meta.url));
mkdirSync(outDir, { recursive: true });
const report = {
  package: "@bplab/controller",
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  quick,
  loadAverage: { before: loadBefore, after: loadAfter },
  results,
  rows: [...coreRows(), ...storageRows],
};
writeFileSync(join(outDir, "controller.json"), `${JSON.stringify(report, null, 2)}\n`);
console.log(table(results));
console.log(`\nx copy = the workload's time / Buffer.copy of the same bytes in the same piece size.`);
console.log(
  `load average ${loadBefore.map((l) => l.toFixed(2)).join(" / ")} before, ${loadAfter.map((l) => l.toFixed(2)).join(" / ")} after`,
);
console.log(`JSON: ${join(outDir, "controller.json")}`);
