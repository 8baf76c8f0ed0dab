/**
 * `pnpm bench` for the QEMU target: one table with every QEMU figure of issue 13, each next to its
 * limit measured in the same run, written to bench-results/qemu.json. Needs the patched QEMU;
 * without it, says why and writes only the reason. Not a test: nothing here passes or fails.
 *
 *   pnpm --filter @bplab/qtest bench      (BPLAB_QEMU=... picks a binary,
 *                                          BPLAB_BENCH_BP_MIB=1024 reads a 1 GiB BP; default 64)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BOOT_PARTITION_UNIT_BYTES } from "@bplab/nvme-spec";
import { findPatchedQemu, type QemuBinary } from "../src/index.js";
import { bpReadRows } from "./bp-read.js";
import { formatTable, MIB } from "./measure.js";
import { roundTripRows } from "./round-trips.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results", "qemu.json");
mkdirSync(dirname(out), { recursive: true });

let binary: QemuBinary;
try {
  binary = await findPatchedQemu();
} catch (error) {
  const reason = `no QEMU benchmark: ${(error as Error).message}`;
  writeFileSync(out, `${JSON.stringify({ benchmark: "qemu", skipped: reason }, null, 2)}\n`);
  console.log(reason);
  process.exit(0);
}

const bpMib = Number(process.env.BPLAB_BENCH_BP_MIB ?? 64);
const bpSizeBytes = bpMib * MIB;
if (!Number.isSafeInteger(bpSizeBytes) || bpSizeBytes <= 0 || bpSizeBytes % BOOT_PARTITION_UNIT_BYTES) {
  throw new Error(
    `BPLAB_BENCH_BP_MIB must give a positive multiple of 128 KiB, got ${process.env.BPLAB_BENCH_BP_MIB}`,
  );
}
const loadBefore = loadavg();
const bpRows = await bpReadRows(binary.path, bpSizeBytes);
const { rows: tripRows, split } = await roundTripRows(binary.path);
const rows = [...bpRows, ...tripRows];
const result = {
  benchmark: "qemu",
  qemu: binary,
  bpSizeBytes,
  node: process.version,
  date: new Date().toISOString(),
  loadAverage: { before: loadBefore, after: loadavg() },
  roundTripSplit: split,
  rows,
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(formatTable(rows));
const qemuCpu = split.qemuCpuMicros === undefined ? "?" : split.qemuCpuMicros.toFixed(1);
console.log(
  `one round trip: ${split.wallMicros.toFixed(1)} µs wall = ${split.nodeCpuMicros.toFixed(1)} µs CPU here + ` +
    `${qemuCpu} µs CPU in QEMU + the rest waiting (wake-ups, scheduling)`,
);
console.log(`load average ${loadBefore.map((v) => v.toFixed(2)).join(" ")}; written to ${out}`);
