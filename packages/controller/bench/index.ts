/**
 * `pnpm bench` for the controller: runs every workload once, writes bench-results/controller.json
 * and prints a table. Benchmarks are measurements, never tests: nothing here passes or fails on
 * a time. Usage: node --import tsx bench/index.ts [--quick]
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BenchResult, MIB, result } from "./measure.js";
import { benchAdminCommands, benchBpReadBprsel, benchBpReadLog } from "./workloads.js";

const quick = process.argv.includes("--quick");
const ADMIN_COMMANDS = quick ? 5_000 : 100_000;
const READ_BP_BYTES = (quick ? 8 : 64) * MIB;
const READ_PASSES = quick ? 1 : 4;
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

const results = [
  benchAdminCommands(ADMIN_COMMANDS),
  benchBpReadLog(READ_BP_BYTES, READ_PASSES),
  benchBpReadBprsel(READ_BP_BYTES, READ_PASSES),
  benchBpWrite(),
];
const outDir = fileURLToPath(new URL("../bench-results/", import.meta.url));
mkdirSync(outDir, { recursive: true });
const report = {
  package: "@bplab/controller",
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? "unknown",
  cores: cpus().length,
  quick,
  results,
};
writeFileSync(join(outDir, "controller.json"), `${JSON.stringify(report, null, 2)}\n`);
console.log(table(results));
console.log(`\nx copy = the workload's time / Buffer.copy of the same bytes in the same piece size.`);
console.log(`JSON: ${join(outDir, "controller.json")}`);
