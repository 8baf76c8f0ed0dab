/**
 * The in-process workloads: admin commands through SQ/CQ, and BP reads through Get Log Page 15h
 * and through BPRSEL/BPMBL. Each returns a BenchResult with its Buffer.copy baseline.
 */
import {
  BootReadStatus,
  BPRSEL_LAYOUT,
  BPRSEL_UNIT_BYTES,
  bootPartitionLogOffset,
  bootPartitionLsp,
  bpinfoCodec,
  bprselCodec,
  buildGetFeatures,
  buildGetLogPage,
  CQE_SIZE,
  encodeBpmbl,
  FeatureId,
  LogPageId,
  RegisterOffset,
  SQE_SIZE,
} from "@bplab/nvme-spec";
import { createMemoryStore } from "../src/memory-store.js";
import { pattern, statusOf } from "../test/harness.js";
import { type BenchResult, MIB, result, timeSeconds } from "./measure.js";
import { allocDataBuffer, createBenchRig, expectSuccess } from "./rig.js";

const DWORD_BYTES = 4;
/** MDTS 7 with 4 KiB pages, the default (docs/model-choices.md). */
const LOG_CHUNK_BYTES = 512 * 1024;
/** The largest BPRSEL read: BPRSZ is 10 bits of 4 KiB units. */
const BPRSEL_CHUNK_BYTES = BPRSEL_LAYOUT.bprsz.max * BPRSEL_UNIT_BYTES;
/** Host memory for the rig: queues, PRP lists and one BPRSEL-sized buffer. */
const RIG_MEMORY_BYTES = 8 * MIB;

export function benchAdminCommands(count: number): BenchResult {
  const rig = createBenchRig(
    createMemoryStore({ bpSizeBytes: BPRSEL_UNIT_BYTES * 32 }).bootPartitions,
    RIG_MEMORY_BYTES,
  );
  const command = buildGetFeatures({ cid: 0, fid: FeatureId.BootPartitionWriteProtection });
  let failures = 0;
  const seconds = timeSeconds(() => {
    for (let i = 0; i < count; i++) {
      const cqe = rig.host.submit(command);
      if (cqe.status.sct !== 0 || cqe.status.sc !== 0) failures++;
    }
  });
  if (failures > 0) throw new Error(`${failures} Get Features 85h commands failed`);
  return result(
    {
      name: "admin Get Features 85h via SQ/CQ",
      unit: "commands/s",
      value: count / seconds,
      bytes: count * (SQE_SIZE + CQE_SIZE),
      seconds,
      notes: { commands: count },
    },
    SQE_SIZE + CQE_SIZE,
  );
}

/** A BP of `bpBytes` in the in-memory store with a known pattern in BP0. */
function filledRig(bpBytes: number) {
  const store = createMemoryStore({ bpSizeBytes: bpBytes });
  const image = pattern(BPRSEL_CHUNK_BYTES, 7);
  for (let offset = 0; offset < bpBytes; offset += image.length) {
    store.bootPartitions.stageWrite(offset, image.subarray(0, Math.min(image.length, bpBytes - offset)));
  }
  store.bootPartitions.commitStaged(0);
  return { rig: createBenchRig(store.bootPartitions, RIG_MEMORY_BYTES), firstBytes: image.subarray(0, 64) };
}

function checkFirstBytes(actual: Uint8Array, expected: Uint8Array, path: string): void {
  if (!Buffer.from(actual).equals(expected))
    throw new Error(`${path}: the data read back is not the BP's content`);
}

/**
 * Times `passes` whole-BP reads in `chunkBytes` pieces through `readChunk` and reports MiB/s with
 * the Buffer.copy baseline of the same pieces.
 */
function timeBpReads(
  name: string,
  bpBytes: number,
  passes: number,
  chunkBytes: number,
  readChunk: (offset: number, length: number) => void,
): BenchResult {
  const seconds = timeSeconds(() => {
    for (let pass = 0; pass < passes; pass++) {
      for (let offset = 0; offset < bpBytes; offset += chunkBytes)
        readChunk(offset, Math.min(chunkBytes, bpBytes - offset));
    }
  });
  const bytes = bpBytes * passes;
  return result(
    {
      name,
      unit: "MiB/s",
      value: bytes / MIB / seconds,
      bytes,
      seconds,
      notes: { chunkBytes, bpBytes, store: "memory" },
    },
    chunkBytes,
  );
}

export function benchBpReadLog(bpBytes: number, passes: number): BenchResult {
  const { rig, firstBytes } = filledRig(bpBytes);
  const buffer = allocDataBuffer(rig, LOG_CHUNK_BYTES);
  const read = (offset: number, length: number) => {
    const cqe = rig.host.submit(
      buildGetLogPage({
        cid: 0,
        lid: LogPageId.BootPartition,
        lsp: bootPartitionLsp(0),
        numd: length / DWORD_BYTES - 1,
        lpo: bootPartitionLogOffset(offset),
        ...buffer.prps(length),
      }),
    );
    expectSuccess("Get Log Page 15h", statusOf(cqe));
  };
  read(0, LOG_CHUNK_BYTES);
  checkFirstBytes(rig.memory.read(buffer.addr, firstBytes.length), firstBytes, "log 15h");
  return timeBpReads("BP read via Get Log Page 15h", bpBytes, passes, LOG_CHUNK_BYTES, read);
}

export function benchBpReadBprsel(bpBytes: number, passes: number): BenchResult {
  const { rig, firstBytes } = filledRig(bpBytes);
  const buffer = rig.memory.alloc(BPRSEL_CHUNK_BYTES, BPRSEL_UNIT_BYTES);
  rig.controller.mmioWrite64(RegisterOffset.BPMBL, encodeBpmbl({ bmbba: buffer }));
  const read = (offset: number, length: number) => {
    const bprsel = bprselCodec.encode({
      bpid: 0,
      bprof: offset / BPRSEL_UNIT_BYTES,
      bprsz: Math.ceil(length / BPRSEL_UNIT_BYTES),
    });
    rig.controller.mmioWrite32(RegisterOffset.BPRSEL, bprsel);
    rig.host.scheduler.runUntilIdle();
    const { brs } = bpinfoCodec.decode(rig.controller.mmioRead32(RegisterOffset.BPINFO));
    if (brs !== BootReadStatus.Success)
      throw new Error(`BPRSEL read at ${offset} ended with BRS=${brs.toString(2)}b`);
  };
  read(0, BPRSEL_CHUNK_BYTES);
  checkFirstBytes(rig.memory.read(buffer, firstBytes.length), firstBytes, "BPRSEL");
  return timeBpReads("BP read via BPRSEL/BPMBL", bpBytes, passes, BPRSEL_CHUNK_BYTES, read);
}
