/**
 * Boot Partition throughput and scenario-suite time, QEMU target next to the in-process core:
 * bytes/s of a full BP read through BPRSEL/BPMBL and through Get Log Page 15h, and the wall time of
 * the whole scenario suite. Needs the patched QEMU; without it, says so and writes only the reason.
 * Writes bench-results/bp.json and prints a table. Not a test.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NvmeHostDriver, runScenarios, type Target } from "@bplab/host";
import { createInProcessTarget, inProcessTargetFactory } from "@bplab/in-process-target";
import { BOOT_PARTITION_COUNT, BOOT_PARTITION_UNIT_BYTES } from "@bplab/nvme-spec";
import {
  bootPartitionImageBytes,
  createQemuTarget,
  createQemuTargetFactory,
  findPatchedQemu,
  type QemuBinary,
} from "../src/index.js";

const BP_SIZE_BYTES = 64 * BOOT_PARTITION_UNIT_BYTES; // 8 MiB per BP
const MIB = 1024 * 1024;

interface Row {
  target: string;
  measure: string;
  value: number;
  unit: string;
}

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "bench-results", "bp.json");
mkdirSync(dirname(out), { recursive: true });

let binary: QemuBinary;
try {
  binary = await findPatchedQemu();
} catch (error) {
  const reason = `no BP benchmark: ${(error as Error).message}`;
  writeFileSync(out, `${JSON.stringify({ benchmark: "bp", skipped: reason }, null, 2)}\n`);
  console.log(reason);
  process.exit(0);
}

async function seconds(action: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function bpReads(name: string, target: Target, rows: Row[]): Promise<void> {
  try {
    const driver = await NvmeHostDriver.attach(target);
    for (const [path, read] of [
      ["register path (BPRSEL/BPMBL)", () => driver.bpReadViaRegisters(0, 0, BP_SIZE_BYTES)],
      ["Get Log Page 15h", () => driver.bpReadViaLog(0, 0, BP_SIZE_BYTES)],
    ] as const) {
      let ok = false;
      const elapsed = await seconds(async () => {
        ok = (await read()).ok;
      });
      if (!ok) throw new Error(`${name}: the ${path} read failed`);
      rows.push({
        target: name,
        measure: `full BP read, ${path}`,
        value: BP_SIZE_BYTES / MIB / elapsed,
        unit: "MiB/s",
      });
    }
  } finally {
    await target.close();
  }
}

const rows: Row[] = [];
const work = mkdtempSync(join(tmpdir(), "bplab-bp-bench-"));
try {
  const image = join(work, "bootpart.img");
  // Both BPs hold a pattern; the ABPID metadata block after them stays zero (a fresh image).
  const content = new Uint8Array(bootPartitionImageBytes(BP_SIZE_BYTES));
  content.subarray(0, BP_SIZE_BYTES * BOOT_PARTITION_COUNT).forEach((_, index, bps) => {
    bps[index] = (index * 13) & 0xff;
  });
  writeFileSync(image, content);
  await bpReads("qemu", await createQemuTarget({ binary: binary.path, bootPartition: { image } }), rows);
  await bpReads("core", await createInProcessTarget({ bpSizeBytes: BP_SIZE_BYTES }), rows);

  for (const [name, factory] of [
    ["core", inProcessTargetFactory()],
    ["qemu", createQemuTargetFactory({ binary: binary.path })],
  ] as const) {
    let passed = 0;
    let total = 0;
    const elapsed = await seconds(async () => {
      const results = await runScenarios(factory);
      total = results.length;
      passed = results.filter((result) => result.outcome === "passed").length;
    });
    rows.push({
      target: name,
      measure: `scenario suite (${passed}/${total} passed)`,
      value: elapsed,
      unit: "s",
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const result = {
  benchmark: "bp",
  qemu: binary,
  bpSizeBytes: BP_SIZE_BYTES,
  node: process.version,
  date: new Date().toISOString(),
  rows,
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.table(rows.map((row) => ({ ...row, value: Number(row.value.toFixed(2)) })));
console.log(`written to ${out}`);
