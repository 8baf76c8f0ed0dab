/**
 * Issue 13 item 6: memory stays flat over repeated whole-BP cycles in one process. Each cycle
 * downloads and commits a whole BP (alternating BP0 and BP1) and reads it back through the
 * controller; after each cycle the heap is collected (run with --expose-gc) and the RSS, heap and
 * ArrayBuffer bytes are recorded. Prints one JSON line.
 * Usage: node --expose-gc --import tsx bench/bp-cycles.ts <empty-or-missing-dir> [bpBytes] [cycles]
 */
import type { BpId } from "@bplab/nvme-spec";
import { openStateDir } from "../src/storage/index.js";
import { timeSeconds } from "./measure.js";
import {
  createStorageBench,
  downloadAndCommit,
  GIB,
  imagePeriod,
  maxRssBytes,
  printJsonLine,
  RssSampler,
  readWholeBp,
} from "./storage-workloads.js";

const DEFAULT_CYCLES = 10;

const [dir = "", bpBytesText, cyclesText] = process.argv.slice(2);
const bpBytes = bpBytesText ? Number(bpBytesText) : GIB;
const cycles = cyclesText ? Number(cyclesText) : DEFAULT_CYCLES;
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) process.stderr.write("bp-cycles: run with --expose-gc for stable figures\n");

const image = imagePeriod();
const state = openStateDir(dir, { create: { bpSizeBytes: bpBytes } });
const bench = createStorageBench(state.bootPartitions, image);
const rss = new RssSampler();
const rssAtStartBytes = process.memoryUsage.rss();
const after = { rssBytes: [] as number[], heapUsedBytes: [] as number[], arrayBuffersBytes: [] as number[] };
const secondsPerCycle: number[] = [];

for (let cycle = 0; cycle < cycles; cycle++) {
  const bpid = (cycle % 2) as BpId;
  secondsPerCycle.push(
    timeSeconds(() => {
      downloadAndCommit(bench, bpid, bpBytes, image, rss);
      readWholeBp(bench, bpid, bpBytes, image, rss);
    }),
  );
  collect?.();
  const usage = process.memoryUsage();
  after.rssBytes.push(usage.rss);
  after.heapUsedBytes.push(usage.heapUsed);
  after.arrayBuffersBytes.push(usage.arrayBuffers);
  process.stderr.write(`cycle ${cycle + 1}/${cycles}: rss ${(usage.rss / 1024 / 1024).toFixed(1)} MiB\n`);
}
state.close();

const growth = (values: number[]) => (values.at(-1) ?? 0) - (values[0] ?? 0);
printJsonLine({
  bpBytes,
  cycles,
  secondsPerCycle,
  rssAfterCycleBytes: after.rssBytes,
  heapUsedAfterCycleBytes: after.heapUsedBytes,
  arrayBuffersAfterCycleBytes: after.arrayBuffersBytes,
  /** From the end of the first cycle to the end of the last: the first cycle warms the heap up. */
  growthBytes: {
    rss: growth(after.rssBytes),
    heapUsed: growth(after.heapUsedBytes),
    arrayBuffers: growth(after.arrayBuffersBytes),
  },
  rssAtStartBytes,
  peakSampledRssBytes: rss.peakBytes,
  maxRssBytes: maxRssBytes(),
});
