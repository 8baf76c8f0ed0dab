/**
 * The one host the benchmarks drive the controller with, as lean as a real driver: one admin
 * queue pair in one flat buffer, SQEs encoded once and patched in place (a driver fills the fields
 * of a slot, it does not build an object per command), completions checked in place through a
 * DataView (phase, CID, status). The test suite's TestHost re-encodes and decodes every entry,
 * which is right for tests and costs more per 4 KiB piece than the device does, so it would
 * measure the harness instead of the controller and the store. It imports nothing from the test
 * suite (test/harness.ts loads vitest, which would show in the peak RSS).
 */
import {
  aqaCodec,
  type CompletionQueueEntry,
  CQE_DW3_LAYOUT,
  CQE_SIZE,
  CQE_SIZE_LOG2,
  CqeOffset,
  ccCodec,
  cqHeadDoorbellOffset,
  decodeCqe,
  encodeSqe,
  RegisterOffset,
  SQE_SIZE,
  SQE_SIZE_LOG2,
  type SubmissionQueueEntry,
  sqTailDoorbellOffset,
} from "@bplab/nvme-spec";
import type { ControllerConfig } from "../src/config.js";
import { NvmeController } from "../src/controller.js";
import { type BootPartitionStore, DmaError, type HostMemory } from "../src/ports.js";
import { ManualScheduler } from "../src/time.js";

export const PAGE = 4096;
const QUEUE_ENTRIES = 16;
/** Byte offsets of SQE fields that change from one command to the next (CDW0 bits 31:16 = CID). */
export const SQE_CID_OFFSET = 2;
export const SQE_PRP1_OFFSET = 24;
export const SQE_CDW11_OFFSET = 44;
/** Below this many bytes a copy loop beats creating a subarray to copy from (an SQE is 64). */
const LOOP_COPY_MAX_BYTES = 64;

/**
 * Host memory at address 0: one buffer with the two optional HostMemory methods (ports.ts), so
 * the controller fetches SQEs without allocating and moves bulk data straight between the store
 * and this buffer, as with any adapter whose guest memory lives in this process.
 */
export class LeanHostMemory implements HostMemory {
  readonly bytes: Uint8Array;
  #next = PAGE;

  constructor(sizeBytes: number) {
    this.bytes = new Uint8Array(sizeBytes);
  }

  /** A bigint address, as everything that goes into an SQE or register is one. */
  alloc(size: number, align = PAGE): bigint {
    const start = Math.ceil(this.#next / align) * align;
    if (start + size > this.bytes.length) throw new Error(`bench host memory exhausted (${size} bytes)`);
    this.#next = start + size;
    return BigInt(start);
  }

  read(addr: bigint, length: number): Uint8Array {
    const start = this.#check(addr, length);
    return this.bytes.slice(start, start + length);
  }

  readInto(addr: bigint, into: Uint8Array): void {
    const start = this.#check(addr, into.length);
    if (into.length > LOOP_COPY_MAX_BYTES) into.set(this.bytes.subarray(start, start + into.length));
    else for (let index = 0; index < into.length; index++) into[index] = this.bytes[start + index]!;
  }

  view(addr: bigint, length: number): Uint8Array {
    const start = this.#check(addr, length);
    return this.bytes.subarray(start, start + length);
  }

  write(addr: bigint, data: Uint8Array): void {
    this.bytes.set(data, this.#check(addr, data.length));
  }

  // Number arithmetic: a bigint range check would allocate on every call.
  #check(addr: bigint, length: number): number {
    const start = Number(addr);
    if (addr < 0n || start + length > this.bytes.length) throw new DmaError(addr, length);
    return start;
  }
}

export interface LeanHostOptions {
  readonly bootPartitions: BootPartitionStore;
  readonly memoryBytes: number;
  /** Controller configuration, e.g. `{ mdts: 12 }` for 16 MiB commands. */
  readonly config?: Partial<ControllerConfig>;
}

const { cid: CID_FIELD, phase: PHASE_FIELD, status: STATUS_FIELD } = CQE_DW3_LAYOUT;
const SQ_TAIL_DOORBELL = sqTailDoorbellOffset(0, 0);
const CQ_HEAD_DOORBELL = cqHeadDoorbellOffset(0, 0);

/** A controller, its memory and scheduler, and an enabled admin queue pair driven in place. */
export class LeanHost {
  readonly controller: NvmeController;
  readonly memory: LeanHostMemory;
  /** Public for work that does not go through the queues, e.g. a BPRSEL read. */
  readonly scheduler = new ManualScheduler();
  readonly #sq: number;
  readonly #cq: number;
  readonly #words: DataView;
  #tail = 0;
  #head = 0;
  #phase = 1;
  #cid = 0;

  constructor({ bootPartitions, memoryBytes, config }: LeanHostOptions) {
    this.memory = new LeanHostMemory(memoryBytes);
    const controller = new NvmeController({
      hostMemory: this.memory,
      bootPartitions,
      scheduler: this.scheduler,
      config,
    });
    this.controller = controller;
    const sq = this.memory.alloc(QUEUE_ENTRIES * SQE_SIZE);
    const cq = this.memory.alloc(QUEUE_ENTRIES * CQE_SIZE);
    this.#sq = Number(sq);
    this.#cq = Number(cq);
    const { bytes } = this.memory;
    this.#words = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    controller.mmioWrite32(
      RegisterOffset.AQA,
      aqaCodec.encode({ asqs: QUEUE_ENTRIES - 1, acqs: QUEUE_ENTRIES - 1 }),
    );
    controller.mmioWrite64(RegisterOffset.ASQ, sq);
    controller.mmioWrite64(RegisterOffset.ACQ, cq);
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
    const dw3 = this.#words.getUint32(this.#run(sqe) + CqeOffset.DW3, true);
    return (dw3 >>> STATUS_FIELD.lsb) & STATUS_FIELD.max;
  }

  submit(sqe: SubmissionQueueEntry): number {
    return this.submitEncoded(encodeSqe(sqe));
  }

  /** The whole decoded completion, for callers that check more than the status (tests). */
  submitForCompletion(sqe: SubmissionQueueEntry): CompletionQueueEntry {
    const slot = this.#run(encodeSqe(sqe));
    return decodeCqe(this.memory.bytes.subarray(slot, slot + CQE_SIZE));
  }

  /** Runs one command and returns the byte offset of its CQE, already consumed. */
  #run(sqe: Uint8Array): number {
    const slot = this.#sq + this.#tail * SQE_SIZE;
    this.memory.bytes.set(sqe, slot);
    this.#cid = (this.#cid + 1) & 0xffff;
    this.#words.setUint16(slot + SQE_CID_OFFSET, this.#cid, true);
    this.#tail = (this.#tail + 1) % QUEUE_ENTRIES;
    this.controller.mmioWrite32(SQ_TAIL_DOORBELL, this.#tail);
    this.scheduler.runUntilIdle();
    const completion = this.#cq + this.#head * CQE_SIZE;
    const dw3 = this.#words.getUint32(completion + CqeOffset.DW3, true);
    if (((dw3 >>> PHASE_FIELD.lsb) & PHASE_FIELD.max) !== this.#phase)
      throw new Error(`no completion for CID ${this.#cid}`);
    const completedCid = (dw3 >>> CID_FIELD.lsb) & CID_FIELD.max;
    if (completedCid !== this.#cid)
      throw new Error(`completion for CID ${completedCid}, expected ${this.#cid}`);
    this.#head = (this.#head + 1) % QUEUE_ENTRIES;
    if (this.#head === 0) this.#phase ^= 1;
    this.controller.mmioWrite32(CQ_HEAD_DOORBELL, this.#head);
    return completion;
  }
}

/** "SCT/SC" as the test suite prints a status field, for error messages. */
export function describeStatusField(status: number): string {
  return `${((status >>> 8) & 0x7).toString(16)}h/${(status & 0xff).toString(16).padStart(2, "0")}h`;
}
