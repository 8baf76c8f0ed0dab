/**
 * qtest throughput on a real QEMU: round trips per second (one at a time and pipelined) and MB/s of
 * b64read/b64write (and of hex read/write for comparison). Writes bench-results/qtest.json and
 * prints a table. Not a test: nothing here passes or fails.
 *
 *   pnpm --filter @bplab/qtest bench            (BPLAB_QEMU=... to pick a binary)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { RegisterOffset } from "@bplab/nvme-spec";
import { createQemuTarget } from "../src/index.js";

const ROUND_TRIPS = 20_000;
const PIPELINE_DEPTH = 64;
const BULK_BYTES = 16 * 1024 * 1024;
const HEX_BYTES = 1024 * 1024;
const REPEATS = 3;
const MIB = 1024 * 1024;

interface Row {
  measure: string;
  value: number;
  unit: string;
  detail: string;
}

async function timed(action: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Best of REPEATS: the least disturbed run on a shared 2-core machine. */
async function best(action: () => Promise<void>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let run = 0; run < REPEATS; run++) fastest = Math.min(fastest, await timed(action));
  return fastest;
}

const target = await createQemuTarget({ namespaceBytes: 0 });
const qtest = target.instance.qtest;
const rows: Row[] = [];
try {
  const vs = target.bar0Address + BigInt(RegisterOffset.VS);
  const sequential = await best(async () => {
    for (let index = 0; index < ROUND_TRIPS; index++) await qtest.readl(vs);
  });
  rows.push({
    measure: "round trips (sequential readl)",
    value: ROUND_TRIPS / sequential,
    unit: "1/s",
    detail: `${ROUND_TRIPS} MMIO reads of VS`,
  });

  const pipelined = await best(async () => {
    for (let index = 0; index < ROUND_TRIPS; index += PIPELINE_DEPTH) {
      await Promise.all(Array.from({ length: PIPELINE_DEPTH }, () => qtest.readl(vs)));
    }
  });
  rows.push({
    measure: "round trips (pipelined readl)",
    value: ROUND_TRIPS / pipelined,
    unit: "1/s",
    detail: `depth ${PIPELINE_DEPTH}`,
  });

  const address = await target.alloc(BULK_BYTES);
  const data = new Uint8Array(BULK_BYTES).map((_, index) => index & 0xff);
  const write = await best(() => target.memWrite(address, data));
  rows.push({
    measure: "b64write",
    value: BULK_BYTES / MIB / write,
    unit: "MB/s",
    detail: `${BULK_BYTES / MIB} MiB in 64 KiB pipelined chunks`,
  });
  const read = await best(async () => {
    await target.memRead(address, BULK_BYTES);
  });
  rows.push({
    measure: "b64read",
    value: BULK_BYTES / MIB / read,
    unit: "MB/s",
    detail: `${BULK_BYTES / MIB} MiB in 64 KiB pipelined chunks`,
  });

  const hexData = data.subarray(0, HEX_BYTES);
  const hexWrite = await best(() => qtest.write(address, hexData));
  rows.push({
    measure: "hex write",
    value: HEX_BYTES / MIB / hexWrite,
    unit: "MB/s",
    detail: "1 MiB, one request",
  });
  const hexRead = await best(async () => {
    await qtest.read(address, HEX_BYTES);
  });
  rows.push({
    measure: "hex read",
    value: HEX_BYTES / MIB / hexRead,
    unit: "MB/s",
    detail: "1 MiB, one request",
  });
} finally {
  await target.close();
}

const result = {
  benchmark: "qtest",
  qemu: {
    path: target.instance.binary.path,
    source: target.instance.binary.source,
    version: target.instance.version,
    accel: target.instance.accel,
  },
  node: process.version,
  date: new Date().toISOString(),
  rows,
};
const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results", "qtest.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`QEMU ${result.qemu.version} (${result.qemu.source}, accel ${result.qemu.accel})`);
console.table(rows.map((row) => ({ ...row, value: Number(row.value.toFixed(1)) })));
console.log(`written to ${out}`);
