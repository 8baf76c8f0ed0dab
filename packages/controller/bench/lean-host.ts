/**
 * A host as lean as a real driver, for the storage benchmarks: one admin queue pair in one flat
 * buffer, SQEs encoded once and patched in place (a driver fills the fields of a slot, it does not
 * build an object per command), completions checked through a DataView. The test suite's TestHost
 * re-encodes and decodes every entry, which is right for tests and costs more per 4 KiB piece
 * than the device does, so it would measure the harness instead of the controller and the store.
 * It imports nothing from the test suite (test/harness.ts loads vitest, which would show in the
 * peak RSS).
 */
import {
  aqaCodec,
  CQE_SIZE,
  CQE_SIZE_LOG2,
  ccCodec,
  cqHeadDoorbellOffset,
  encodeSqe,
  RegisterOffset,
  SQE_SIZE,
  SQE_SIZE_LOG2,
  type SubmissionQueueEntry,
  sqTailDoorbellOffset,
} from "@bplab/nvme-spec";
import { NvmeController } from "../src/controller.js";
import { type BootPartitionStore, DmaError, type HostMemory } from "../src/ports.js";
import { ManualScheduler } from "../src/time.js";

const PAGE = 4096;
const QUEUE_ENTRIES = 16;
/** DW3 of a CQE: bit 16 is the phase tag, bits 17..31 the status field. */
const CQE_DW3_OFFSET = 12;
const PHASE_BIT = 0x1_0000;
/** Byte offsets of SQE fields that change from one command to the next. */
export const SQE_CID_OFFSET = 2;
export const SQE_PRP1_OFFSET = 24;
export const SQE_CDW11_OFFSET = 44;

/** Host memory at address 0: one buffer, with the optional copy-free methods of the port. */
export class LeanHostMemory implements HostMemory {
  readonly bytes: Uint8Array;
  #next = PAGE;

  constructor(sizeBytes: number) {
    this.bytes = new Uint8Array(sizeBytes);
  }

  alloc(size: number): number {
    const start = Math.ceil(this.#next / PAGE) * PAGE;
    if (start + size > this.bytes.length) throw new Error(`bench host memory exhausted (${size} bytes)`);
    this.#next = start + size;
    return start;
  }

  read(addr: bigint, length: number): Uint8Array {
    const start = this.#check(addr, length);
    return this.bytes.slice(start, start + length);
  }

  readInto(addr: bigint, into: Uint8Array): void {
    const start = this.#check(addr, into.length);
    into.set(this.bytes.subarray(start, start + into.length));
  }

  view(addr: bigint, length: number): Uint8Array {
    const start = this.#check(addr, length);
    return this.bytes.subarray(start, start + length);
  }

  write(addr: bigint, data: Uint8Array): void {
    this.bytes.set(data, this.#check(addr, data.length));
  }

  #check(addr: bigint, length: number): number {
    const start = Number(addr);
    if (addr < 0n || start + length > this.bytes.length) throw new DmaError(addr, length);
    return start;
  }
}

export class LeanHost {
  readonly controller: NvmeController;
  readonly memory: LeanHostMemory;
  readonly #scheduler = new ManualScheduler();
  readonly #sq: number;
  readonly #cq: number;
  readonly #cqWords: DataView;
  #tail = 0;
  #head = 0;
  #phase = 1;
  #cid = 0;

  constructor(bootPartitions: BootPartitionStore, memoryBytes: number) {
    this.memory = new LeanHostMemory(memoryBytes);
    this.controller = new NvmeController({
      hostMemory: this.memory,
      bootPartitions,
      scheduler: this.#scheduler,
    });
    this.#sq = this.memory.alloc(QUEUE_ENTRIES * SQE_SIZE);
    this.#cq = this.memory.alloc(QUEUE_ENTRIES * CQE_SIZE);
    this.#cqWords = new DataView(this.memory.bytes.buffer, this.#cq, QUEUE_ENTRIES * CQE_SIZE);
    const controller = this.controller;
    controller.mmioWrite32(
      RegisterOffset.AQA,
      aqaCodec.encode({ asqs: QUEUE_ENTRIES - 1, acqs: QUEUE_ENTRIES - 1 }),
    );
    controller.mmioWrite64(RegisterOffset.ASQ, BigInt(this.#sq));
    controller.mmioWrite64(RegisterOffset.ACQ, BigInt(this.#cq));
    controller.mmioWrite32(
      RegisterOffset.CC,
      ccCodec.encode({ en: true, iosqes: SQE_SIZE_LOG2, iocqes: CQE_SIZE_LOG2 }),
    );
  }

  /** Builds a command's bytes once; patch the fields that change, then `submitEncoded`. */
  encode(sqe: SubmissionQueueEntry): Uint8Array {
    return encodeSqe(sqe);
  }

  /**
   * Copies the SQE into the next slot with a fresh CID, rings the doorbell, lets the device run,
   * consumes the completion and returns its status field (0 = success).
   */
  submitEncoded(sqe: Uint8Array): number {
    const slot = this.#sq + this.#tail * SQE_SIZE;
    this.memory.bytes.set(sqe, slot);
    this.#cid = (this.#cid + 1) & 0xffff;
    this.memory.bytes[slot + SQE_CID_OFFSET] = this.#cid & 0xff;
    this.memory.bytes[slot + SQE_CID_OFFSET + 1] = this.#cid >>> 8;
    this.#tail = (this.#tail + 1) % QUEUE_ENTRIES;
    this.controller.mmioWrite32(sqTailDoorbellOffset(0, 0), this.#tail);
    this.#scheduler.runUntilIdle();
    const dw3 = this.#cqWords.getUint32(this.#head * CQE_SIZE + CQE_DW3_OFFSET, true);
    if ((dw3 & PHASE_BIT ? 1 : 0) !== this.#phase) throw new Error(`no completion for CID ${this.#cid}`);
    this.#head = (this.#head + 1) % QUEUE_ENTRIES;
    if (this.#head === 0) this.#phase ^= 1;
    this.controller.mmioWrite32(cqHeadDoorbellOffset(0, 0), this.#head);
    return dw3 >>> 17;
  }

  submit(sqe: SubmissionQueueEntry): number {
    return this.submitEncoded(encodeSqe(sqe));
  }
}

/** "SCT/SC" as the test suite prints a status field, for error messages. */
export function describeStatusField(status: number): string {
  return `${((status >>> 8) & 0x7).toString(16)}h/${(status & 0xff).toString(16).padStart(2, "0")}h`;
}
