/**
 * Benchmarks of the package: resolving the cached build (what every caller of qemuBinaryPath
 * pays), loading and hashing the series, and, when the patched QEMU is built, one run of the
 * nvme qtests. Writes bench-results/qemu-patches.json and prints a table.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { planBuild, qemuBinaryPath } from "../src/build.js";
import { defaultPatchesDir, packageDir } from "../src/paths.js";
import { runQtests } from "../src/qtests.js";
import { buildKey, loadSeries } from "../src/series.js";

interface Row {
  name: string;
  iterations: number;
  meanMs: number;
  minMs: number;
}

async function measure(name: string, iterations: number, body: () => unknown): Promise<Row> {
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await body();
    times.push(performance.now() - start);
  }
  const mean = times.reduce((sum, time) => sum + time, 0) / times.length;
  return { name, iterations, meanMs: Number(mean.toFixed(3)), minMs: Number(Math.min(...times).toFixed(3)) };
}

const rows: Row[] = [];
const series = loadSeries(defaultPatchesDir());
rows.push(
  await measure(`loadSeries (${series.patches.length} patches)`, 50, () => loadSeries(defaultPatchesDir())),
);
rows.push(await measure("buildKey", 200, () => buildKey("source", series.patches)));
rows.push(await measure("planBuild", 50, () => planBuild()));

let built = true;
try {
  qemuBinaryPath();
  rows.push(await measure("qemuBinaryPath (built)", 50, () => qemuBinaryPath()));
} catch (error) {
  built = false;
  console.log(`nvme qtest timing skipped: ${(error as Error).message}`);
}
if (built) rows.push(await measure("runQtests (every nvme qos test)", 3, () => runQtests()));

const dir = join(packageDir(), "bench-results");
mkdirSync(dir, { recursive: true });
const file = join(dir, "qemu-patches.json");
writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), rows }, null, 2)}\n`);
console.table(rows);
console.log(`wrote ${file}`);
