/**
 * The 1 GiB write, run in its own process so its peak RSS is its own: a file-backed state
 * directory with 1 GiB BPs, unlock BP1, 262 144 FWUG-sized Firmware Image Downloads, Commit
 * CA=110b. Prints one JSON line with the timings and memory figures.
 * Usage: node --import tsx bench/bp-write-1g.ts <empty-or-missing-dir> [bpBytes]
 */
import {
  BpWriteProtectionState,
  buildFirmwareCommit,
  buildFirmwareImageDownload,
  CommitAction,
  FWUG_UNIT_BYTES,
} from "@bplab/nvme-spec";
import { openStateDir } from "../src/storage/index.js";
import { pattern, statusOf } from "../test/harness.js";
import { MIB, timeSeconds } from "./measure.js";
import { createBenchRig, expectSuccess, setLock } from "./rig.js";

const GIB = 1024 * MIB;
const DWORD_BYTES = 4;
/** How often the RSS is sampled, in commands. */
const RSS_SAMPLE_EVERY = 4096;
const TARGET_BP = 1;

const [dir = "", bpBytesText] = process.argv.slice(2);
const bpBytes = bpBytesText ? Number(bpBytesText) : GIB;
const state = openStateDir(dir, { create: { bpSizeBytes: bpBytes } });
const rig = createBenchRig(state.bootPartitions, 8 * MIB);
const pieceBytes = rig.controller.config.fwug * FWUG_UNIT_BYTES;
const source = pattern(4 * MIB, 3);
const buffer = rig.memory.alloc(pieceBytes);

let peakSampledRss = process.memoryUsage.rss();
setLock(rig, TARGET_BP, BpWriteProtectionState.WriteUnlocked);
const downloadSeconds = timeSeconds(() => {
  for (let offset = 0, commands = 0; offset < bpBytes; offset += pieceBytes, commands++) {
    const at = offset % source.length;
    rig.memory.write(buffer, source.subarray(at, at + pieceBytes));
    const cqe = rig.host.submit(
      buildFirmwareImageDownload({
        cid: 0,
        numd: pieceBytes / DWORD_BYTES - 1,
        ofst: offset / DWORD_BYTES,
        prp1: buffer,
      }),
    );
    if (cqe.status.sct !== 0 || cqe.status.sc !== 0)
      expectSuccess(`Firmware Image Download at ${offset}`, statusOf(cqe));
    if (commands % RSS_SAMPLE_EVERY === 0)
      peakSampledRss = Math.max(peakSampledRss, process.memoryUsage.rss());
  }
});
const commitSeconds = timeSeconds(() => {
  const cqe = rig.host.submit(
    buildFirmwareCommit({ cid: 0, ca: CommitAction.ReplaceBootPartition, bpid: TARGET_BP }),
  );
  expectSuccess("Firmware Commit CA=110b", statusOf(cqe));
});
peakSampledRss = Math.max(peakSampledRss, process.memoryUsage.rss());

// Spot check: the BP holds the pattern at its last piece.
const tail = new Uint8Array(pieceBytes);
state.bootPartitions.readBp(TARGET_BP, bpBytes - pieceBytes, tail);
const tailAt = (bpBytes - pieceBytes) % source.length;
if (!Buffer.from(tail).equals(source.subarray(tailAt, tailAt + pieceBytes)))
  throw new Error("the committed BP does not hold the image");
state.close();

process.stdout.write(
  `${JSON.stringify({
    bpBytes,
    pieceBytes,
    commands: bpBytes / pieceBytes,
    downloadSeconds,
    commitSeconds,
    peakSampledRssBytes: peakSampledRss,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
