/**
 * The storage workloads of issue 13 (items 3 and 6): a whole-BP download + commit into a state
 * directory, a whole-BP read, the raw writer they are compared with, and the memory figures.
 * The child scripts (bp-write-1g.ts, bp-read-1g.ts, bp-cycles.ts) run these in a process of their
 * own, so the peak RSS they report belongs to the workload alone.
 */
import { closeSync, fdatasyncSync, openSync, rmSync, writeSync } from "node:fs";
import {
  type BpId,
  BpWriteProtectionState,
  bootPartitionLogOffset,
  bootPartitionLsp,
  bpWriteProtectionForOne,
  buildFirmwareCommit,
  buildFirmwareImageDownload,
  buildGetLogPage,
  buildSetFeatures,
  CommitAction,
  encodeBpWriteProtection,
  FeatureId,
  FWUG_UNIT_BYTES,
  LogPageId,
} from "@bplab/nvme-spec";
import type { BootPartitionStore } from "../src/ports.js";
import { describeStatusField, LeanHost, SQE_CDW11_OFFSET, SQE_PRP1_OFFSET } from "./lean-host.js";
import { MIB, timeSeconds } from "./measure.js";
import { allocDataBuffer, type DataBuffer } from "./rig.js";

export const GIB = 1024 * MIB;
const DWORD_BYTES = 4;
/** The image repeats a 1 MiB pattern, so checking any piece needs no whole-image copy. */
const IMAGE_PERIOD_BYTES = MIB;
/** Get Log Page 15h in MDTS-sized (512 KiB) commands, as a host driver reads a BP. */
const READ_CHUNK_BYTES = 512 * 1024;
/** Queues, PRP lists and one read chunk: host memory of the rig besides the image. */
const RIG_MEMORY_BYTES = 2 * MIB;
/** How often the RSS is sampled, in commands. */
const RSS_SAMPLE_EVERY = 4096;

/** The bytes of the test image, `IMAGE_PERIOD_BYTES` long, repeated over the whole BP. */
export function imagePeriod(): Uint8Array {
  const bytes = new Uint8Array(IMAGE_PERIOD_BYTES);
  let state = 0x9e3779b9;
  for (let index = 0; index < bytes.length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

/** The highest RSS seen by `sample()`; maxRSS from the kernel is the authoritative peak. */
export class RssSampler {
  peakBytes = process.memoryUsage.rss();

  sample(): void {
    this.peakBytes = Math.max(this.peakBytes, process.memoryUsage.rss());
  }
}

export function maxRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** The lean host plus the two host buffers every workload reuses: one piece, one read chunk. */
export interface StorageBench {
  readonly host: LeanHost;
  /** Where the image period lies in host memory: downloads DMA from it, as the raw writer writes from it. */
  readonly imageAddr: number;
  readonly readBuffer: DataBuffer;
}

/** The image sits in host memory once, as a firmware image a host loaded into RAM. */
export function createStorageBench(bootPartitions: BootPartitionStore, image: Uint8Array): StorageBench {
  const host = new LeanHost({ bootPartitions, memoryBytes: RIG_MEMORY_BYTES + image.length });
  const imageAddr = Number(host.memory.alloc(image.length));
  host.memory.bytes.set(image, imageAddr);
  return { host, imageAddr, readBuffer: allocDataBuffer(host, READ_CHUNK_BYTES) };
}

function expectSuccess(what: string, status: number): void {
  if (status !== 0) throw new Error(`${what} failed with status ${describeStatusField(status)}`);
}

/** Set Features 85h: the BP must be Write Unlocked before a commit may replace it. */
function unlock(host: LeanHost, bpid: BpId): void {
  const states = bpWriteProtectionForOne(bpid, BpWriteProtectionState.WriteUnlocked);
  const status = host.submit(
    buildSetFeatures({
      cid: 0,
      fid: FeatureId.BootPartitionWriteProtection,
      cdw11: encodeBpWriteProtection(states),
    }),
  );
  expectSuccess("Set Features 85h", status);
}

export interface WriteTimes {
  readonly pieceBytes: number;
  readonly commands: number;
  readonly downloadSeconds: number;
  readonly commitSeconds: number;
}

/**
 * Unlocks `bpid`, downloads a `bpBytes` image in FWUG pieces (4 KiB) with Firmware Image Download
 * and commits it with CA=110b, as a host updating a BP would.
 */
export function downloadAndCommit(
  { host, imageAddr }: StorageBench,
  bpid: BpId,
  bpBytes: number,
  image: Uint8Array,
  rss: RssSampler,
): WriteTimes {
  const pieceBytes = host.controller.config.fwug * FWUG_UNIT_BYTES;
  unlock(host, bpid);
  const sqe = host.encode(
    buildFirmwareImageDownload({ cid: 0, numd: pieceBytes / DWORD_BYTES - 1, ofst: 0, prp1: 0n }),
  );
  const sqeWords = new DataView(sqe.buffer, sqe.byteOffset, sqe.length);
  let commands = 0;
  const downloadSeconds = timeSeconds(() => {
    for (let offset = 0; offset < bpBytes; offset += pieceBytes, commands++) {
      // PRP1 points at the piece inside the image in host memory: no copy on the host side.
      sqeWords.setBigUint64(SQE_PRP1_OFFSET, BigInt(imageAddr + (offset % image.length)), true);
      sqeWords.setUint32(SQE_CDW11_OFFSET, offset / DWORD_BYTES, true);
      const status = host.submitEncoded(sqe);
      if (status !== 0) expectSuccess(`Firmware Image Download at ${offset}`, status);
      if (commands % RSS_SAMPLE_EVERY === 0) rss.sample();
    }
  });
  const commitSeconds = timeSeconds(() => {
    const status = host.submit(buildFirmwareCommit({ cid: 0, ca: CommitAction.ReplaceBootPartition, bpid }));
    expectSuccess("Firmware Commit CA=110b", status);
  });
  rss.sample();
  return { pieceBytes, commands, downloadSeconds, commitSeconds };
}

/**
 * Reads the whole BP through Get Log Page 15h into one reused host buffer and compares every
 * chunk with the image, so a fast wrong answer fails instead of being counted. Returns seconds.
 */
export function readWholeBp(
  { host, readBuffer }: StorageBench,
  bpid: BpId,
  bpBytes: number,
  image: Uint8Array,
  rss: RssSampler,
): number {
  // A BP is a whole number of 128 KiB units; a BP smaller than one chunk is read in one command.
  const chunkBytes = Math.min(READ_CHUNK_BYTES, bpBytes);
  const prps = readBuffer.prps(chunkBytes);
  let commands = 0;
  return timeSeconds(() => {
    for (let offset = 0; offset < bpBytes; offset += chunkBytes, commands++) {
      const status = host.submit(
        buildGetLogPage({
          cid: 0,
          lid: LogPageId.BootPartition,
          lsp: bootPartitionLsp(bpid),
          numd: chunkBytes / DWORD_BYTES - 1,
          lpo: bootPartitionLogOffset(offset),
          ...prps,
        }),
      );
      expectSuccess(`Get Log Page 15h at ${offset}`, status);
      const at = offset % image.length;
      const got = host.memory.view(readBuffer.addr, chunkBytes);
      if (Buffer.compare(got, image.subarray(at, at + chunkBytes)) !== 0)
        throw new Error(`BP${bpid} does not hold the image at ${offset}`);
      if (commands % RSS_SAMPLE_EVERY === 0) rss.sample();
    }
    rss.sample();
  });
}

export interface RawWriteTimes {
  readonly writeSeconds: number;
  readonly syncSeconds: number;
  readonly seconds: number;
}

/**
 * The limit: what `dd bs=<pieceBytes> conv=fdatasync` does, in this process: a fresh file in the
 * same directory, the same bytes in the same piece size, one fdatasync at the end. The file is
 * removed afterwards so it does not occupy the page cache of the next measurement.
 */
export function rawFileWrite(
  path: string,
  bytes: number,
  pieceBytes: number,
  image: Uint8Array,
): RawWriteTimes {
  const fd = openSync(path, "w");
  try {
    const writeSeconds = timeSeconds(() => {
      for (let offset = 0; offset < bytes; offset += pieceBytes) {
        const at = offset % image.length;
        writeSync(fd, image, at, pieceBytes, offset);
      }
    });
    const syncSeconds = timeSeconds(() => fdatasyncSync(fd));
    return { writeSeconds, syncSeconds, seconds: writeSeconds + syncSeconds };
  } finally {
    closeSync(fd);
    rmSync(path, { force: true });
  }
}

/** The store on its own, without the controller: stageWrite of each piece, then the commit. */
export function storeOnlyWrite(
  store: BootPartitionStore,
  bpid: BpId,
  bytes: number,
  pieceBytes: number,
  image: Uint8Array,
): { stageSeconds: number; commitSeconds: number; seconds: number } {
  const stageSeconds = timeSeconds(() => {
    for (let offset = 0; offset < bytes; offset += pieceBytes) {
      const at = offset % image.length;
      store.stageWrite(offset, image.subarray(at, at + pieceBytes));
    }
  });
  const commitSeconds = timeSeconds(() => store.commitStaged(bpid));
  return { stageSeconds, commitSeconds, seconds: stageSeconds + commitSeconds };
}

/** Prints the one JSON line a child script answers with. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
