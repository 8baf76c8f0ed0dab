/**
 * The 1 GiB write, run in its own process so its peak RSS is its own: a file-backed state
 * directory with 1 GiB BPs, unlock BP1, 262 144 FWUG-sized Firmware Image Downloads, Commit
 * CA=110b. The limit is measured in the same process, right before and right after: a raw writer
 * of the same size in the same piece size plus fdatasync (dd bs=4k conv=fdatasync); the better
 * of the two runs is the limit. `--store-only` also stages the same image straight through the
 * store, without the controller, to show what the storage alone costs.
 * Prints one JSON line. Usage: node --import tsx bench/bp-write-1g.ts <empty-or-missing-dir>
 * [bpBytes] [--store-only]
 */
import { join } from "node:path";
import { FWUG_UNIT_BYTES } from "@bplab/nvme-spec";
import { openStateDir } from "../src/storage/index.js";
import {
  createStorageBench,
  downloadAndCommit,
  GIB,
  imagePeriod,
  maxRssBytes,
  printJsonLine,
  RssSampler,
  rawFileWrite,
  storeOnlyWrite,
} from "./storage-workloads.js";

const TARGET_BP = 1;

const args = process.argv.slice(2);
const storeOnly = args.includes("--store-only");
const [dir = "", bpBytesText] = args.filter((arg) => !arg.startsWith("--"));
const bpBytes = bpBytesText ? Number(bpBytesText) : GIB;
const image = imagePeriod();
const state = openStateDir(dir, { create: { bpSizeBytes: bpBytes } });
const bench = createStorageBench(state.bootPartitions, image);
const rss = new RssSampler();
const rssAtStartBytes = process.memoryUsage.rss();
const rawPath = join(dir, "raw-writer.img");
const pieceBytes = bench.host.controller.config.fwug * FWUG_UNIT_BYTES;

const rawBefore = rawFileWrite(rawPath, bpBytes, pieceBytes, image);
const times = downloadAndCommit(bench, TARGET_BP, bpBytes, image, rss);
const rawAfter = rawFileWrite(rawPath, bpBytes, pieceBytes, image);
const store = storeOnly ? storeOnlyWrite(state.bootPartitions, 0, bpBytes, pieceBytes, image) : undefined;
state.close();

const seconds = times.downloadSeconds + times.commitSeconds;
const raw = rawBefore.seconds <= rawAfter.seconds ? rawBefore : rawAfter;
printJsonLine({
  bpBytes,
  pieceBytes: times.pieceBytes,
  commands: times.commands,
  downloadSeconds: times.downloadSeconds,
  commitSeconds: times.commitSeconds,
  seconds,
  rawSeconds: raw.seconds,
  rawWriteSeconds: raw.writeSeconds,
  rawSyncSeconds: raw.syncSeconds,
  rawRuns: [rawBefore, rawAfter],
  /** Throughput as a share of the raw writer's: 1 = as fast as dd conv=fdatasync. */
  rawRatio: raw.seconds / seconds,
  store,
  storeRawRatio: store ? raw.seconds / store.seconds : undefined,
  rssAtStartBytes,
  peakSampledRssBytes: rss.peakBytes,
  maxRssBytes: maxRssBytes(),
});
