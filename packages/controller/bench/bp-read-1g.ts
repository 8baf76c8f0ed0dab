/**
 * The 1 GiB read, in a process of its own so its peak RSS is the read's alone: opens a state
 * directory that bp-write-1g.ts left behind (BP1 holds the bench image), reads the whole BP
 * through Get Log Page 15h in 512 KiB commands into one reused host buffer and compares every
 * chunk with the image. Prints one JSON line.
 * Usage: node --import tsx bench/bp-read-1g.ts <state-dir-written-by-bp-write-1g>
 */
import { openStateDir } from "../src/storage/index.js";
import {
  createStorageBench,
  imagePeriod,
  maxRssBytes,
  printJsonLine,
  RssSampler,
  readWholeBp,
} from "./storage-workloads.js";

const WRITTEN_BP = 1;

const [dir = ""] = process.argv.slice(2);
const image = imagePeriod();
const state = openStateDir(dir);
const bench = createStorageBench(state.bootPartitions, image);
const rss = new RssSampler();
const rssAtStartBytes = process.memoryUsage.rss();
const bpBytes = state.bootPartitions.bpSizeBytes;
const seconds = readWholeBp(bench, WRITTEN_BP, bpBytes, image, rss);
state.close();

printJsonLine({
  bpBytes,
  seconds,
  mibPerSecond: bpBytes / 1024 / 1024 / seconds,
  rssAtStartBytes,
  peakSampledRssBytes: rss.peakBytes,
  maxRssBytes: maxRssBytes(),
});
