/**
 * The vfio-user device against the native patched `nvme` device over qtest, in one run (issue 10,
 * item 10): MMIO round trips (one at a time and pipelined, as @bplab/qtest's bench does) and a full
 * Boot Partition read through BPRSEL/BPMBL and through Get Log Page 15h, each as a ratio
 * vfio-user / native. Goal for the reads: at least half of native. Every read is checked against
 * the BP bytes, so a fast wrong answer cannot pass as a result. Writes bench-results/qemu.json and
 * prints a table; a measurement, never a test. Without both QEMU builds it says why and stops.
 *
 *   node --import tsx bench/qemu.ts          (BPLAB_BENCH_BP_MIB=16 reads a 16 MiB BP; default 64)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NvmeHostDriver } from "@bplab/host";
import { BOOT_PARTITION_UNIT_BYTES, RegisterOffset } from "@bplab/nvme-spec";
import { findPatchedQemu, type QemuTarget } from "@bplab/qtest";
import { findVfioUserQemu } from "../src/target.js";
import { bestOfAlternating, MIB, patternedBootPartition, startPair, type TargetPair } from "./qtest-pair.js";

const ROUND_TRIPS = 20_000;
const PIPELINE_DEPTH = 64;
const ROUND_TRIP_REPEATS = 3;
export const BP_READ_GOAL = 0.5;

interface PairedRow {
  readonly workload: string;
  readonly unit: string;
  readonly vfioUser: number;
  readonly native: number;
  /** Goal for vfio-user / native, when the row has one. */
  readonly goal?: number;
}

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results", "qemu.json");
mkdirSync(dirname(out), { recursive: true });

let binaries: { unpatched: string; patched: string };
try {
  binaries = { unpatched: await findVfioUserQemu(), patched: (await findPatchedQemu()).path };
} catch (error) {
  const reason = `no vfio-user vs native benchmark: ${(error as Error).message}`;
  writeFileSync(out, `${JSON.stringify({ benchmark: "vfio-user-vs-native", skipped: reason }, null, 2)}\n`);
  console.log(reason);
  process.exit(0);
}
const bpSizeBytes = Number(process.env.BPLAB_BENCH_BP_MIB ?? 64) * MIB;
if (!Number.isSafeInteger(bpSizeBytes) || bpSizeBytes <= 0 || bpSizeBytes % BOOT_PARTITION_UNIT_BYTES) {
  throw new Error(
    `BPLAB_BENCH_BP_MIB must give a positive multiple of 128 KiB, got ${process.env.BPLAB_BENCH_BP_MIB}`,
  );
}

async function roundTripRows(pair: TargetPair): Promise<PairedRow[]> {
  const readVs = (target: QemuTarget) =>
    target.instance.qtest.readl(target.bar0Address + BigInt(RegisterOffset.VS));
  const sequential = await bestOfAlternating(ROUND_TRIP_REPEATS, pair, async (target) => {
    for (let index = 0; index < ROUND_TRIPS; index++) await readVs(target);
  });
  const pipelined = await bestOfAlternating(ROUND_TRIP_REPEATS, pair, async (target) => {
    for (let index = 0; index < ROUND_TRIPS; index += PIPELINE_DEPTH)
      await Promise.all(Array.from({ length: PIPELINE_DEPTH }, () => readVs(target)));
  });
  return [
    { workload: "qtest MMIO round trips, one at a time (readl of VS)", times: sequential },
    { workload: `qtest MMIO round trips, pipelined ${PIPELINE_DEPTH} deep`, times: pipelined },
  ].map(({ workload, times }) => ({
    workload,
    unit: "1/s",
    vfioUser: ROUND_TRIPS / times.vfioUser,
    native: ROUND_TRIPS / times.native,
  }));
}

async function bpReadRows(pair: TargetPair, bp0: Uint8Array): Promise<PairedRow[]> {
  const drivers = new Map<QemuTarget, NvmeHostDriver>([
    [pair.vfioUser, await NvmeHostDriver.attach(pair.vfioUser)],
    [pair.native, await NvmeHostDriver.attach(pair.native)],
  ]);
  const rows: PairedRow[] = [];
  for (const path of ["register path (BPRSEL/BPMBL)", "log page 15h"] as const) {
    const times = await bestOfAlternating(2, pair, async (target) => {
      const driver = drivers.get(target) as NvmeHostDriver;
      const outcome =
        path === "log page 15h"
          ? await driver.bpReadViaLog(0, 0, bpSizeBytes)
          : await driver.bpReadViaRegisters(0, 0, bpSizeBytes);
      if (!outcome.ok) throw new Error(`${target.name}: the ${path} read failed: ${outcome.status}`);
      if (Buffer.compare(outcome.data, bp0) !== 0)
        throw new Error(`${target.name}: the ${path} read returned other bytes than BP 0 holds`);
    });
    rows.push({
      workload: `full BP read (${bpSizeBytes / MIB} MiB), ${path}`,
      unit: "MiB/s",
      vfioUser: bpSizeBytes / MIB / times.vfioUser,
      native: bpSizeBytes / MIB / times.native,
      goal: BP_READ_GOAL,
    });
  }
  return rows;
}

function verdict(row: PairedRow): string {
  if (row.goal === undefined) return "report";
  const ratio = row.vfioUser / row.native;
  return ratio >= row.goal ? "met" : `misses by ${((row.goal - ratio) * 100).toFixed(0)} points`;
}

function formatTable(rows: readonly PairedRow[]): string {
  const header = ["workload", "vfio-user", "native (patched)", "vfio-user / native", "goal", "verdict"];
  const lines = rows.map((row) => [
    row.workload,
    `${row.vfioUser.toFixed(1)} ${row.unit}`,
    `${row.native.toFixed(1)} ${row.unit}`,
    `${((row.vfioUser / row.native) * 100).toFixed(1)}%`,
    row.goal === undefined ? "—" : `≥ ${(row.goal * 100).toFixed(0)}%`,
    verdict(row),
  ]);
  return [header, header.map(() => "---"), ...lines].map((cells) => `| ${cells.join(" | ")} |`).join("\n");
}

const loadBefore = loadavg();
const workDir = mkdtempSync(join(tmpdir(), "bplab-vfio-user-bench-"));
const bp0 = patternedBootPartition(bpSizeBytes);
const pair = await startPair(binaries, workDir, bp0);
let rows: PairedRow[];
let server: { passesFds: boolean; dmaMessages: number };
try {
  rows = [...(await roundTripRows(pair)), ...(await bpReadRows(pair, bp0))];
  server = { passesFds: pair.vfioUser.server.passesFds, dmaMessages: pair.vfioUser.server.stats.dmaMessages };
} finally {
  await pair.close();
  rmSync(workDir, { recursive: true, force: true });
}
const result = {
  benchmark: "vfio-user-vs-native",
  qemu: binaries,
  bpSizeBytes,
  node: process.version,
  date: new Date().toISOString(),
  loadAverage: { before: loadBefore, after: loadavg() },
  server,
  rows: rows.map((row) => ({ ...row, ratio: row.vfioUser / row.native, verdict: verdict(row) })),
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(formatTable(rows));
console.log(
  `server: guest RAM through ${server.passesFds ? "fds (pread/pwrite)" : "DMA messages"}, ${server.dmaMessages} DMA messages; ` +
    `load average ${loadBefore.map((v) => v.toFixed(2)).join(" ")} before, ` +
    `${result.loadAverage.after.map((v) => v.toFixed(2)).join(" ")} after; written to ${out}`,
);
