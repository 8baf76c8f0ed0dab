import {
  aqaCodec,
  BOOT_PARTITION_UNIT_BYTES,
  type Cc,
  type CompletionQueueEntry,
  CQE_SIZE,
  CQE_SIZE_LOG2,
  ccCodec,
  cqePhase,
  cqHeadDoorbellOffset,
  decodeCqe,
  encodeSqe,
  RegisterOffset,
  SQE_SIZE,
  SQE_SIZE_LOG2,
  type SubmissionQueueEntry,
  sqTailDoorbellOffset,
} from "@bplab/nvme-spec";
import { expect } from "vitest";
import { type ControllerOptions, NvmeController } from "../src/controller.js";
import { createMemoryStore } from "../src/memory-store.js";
import { type BootPartitionStore, DmaError, type HostMemory, type NamespaceStore } from "../src/ports.js";
import { ManualClock, ManualScheduler } from "../src/time.js";
import type { TraceEvent } from "../src/trace.js";

/** Host memory for tests: one flat buffer at address 0 with a bump allocator; DMA outside → DmaError. */
export class FlatHostMemory implements HostMemory {
  readonly bytes: Uint8Array;
  private next = PAGE;

  constructor(sizeBytes = 4 * 1024 * 1024) {
    this.bytes = new Uint8Array(sizeBytes);
  }

  read(addr: bigint, length: number): Uint8Array {
    const start = this.check(addr, length);
    return this.bytes.slice(start, start + length);
  }

  write(addr: bigint, data: Uint8Array): void {
    this.bytes.set(data, this.check(addr, data.length));
  }

  alloc(size: number, align = PAGE): bigint {
    const start = Math.ceil(this.next / align) * align;
    if (start + size > this.bytes.length) throw new Error(`test host memory exhausted (${size} bytes)`);
    this.next = start + size;
    return BigInt(start);
  }

  private check(addr: bigint, length: number): number {
    if (addr < 0n || addr + BigInt(length) > BigInt(this.bytes.length)) throw new DmaError(addr, length);
    return Number(addr);
  }
}

export const PAGE = 4096;
/** The smallest legal BP: one 128 KiB unit. Property tests want tiny BPs. */
export const SMALL_BP_BYTES = BOOT_PARTITION_UNIT_BYTES;

export interface Rig {
  readonly controller: NvmeController;
  readonly memory: FlatHostMemory;
  readonly scheduler: ManualScheduler;
  readonly clock: ManualClock;
  readonly store: RigStore;
  readonly events: TraceEvent[];
  readonly host: TestHost;
}

/** The storage a rig's controller uses: the memory store unless a test brings a state directory. */
export interface RigStore {
  readonly bootPartitions: BootPartitionStore;
  readonly namespace: NamespaceStore;
}

export function createRig(
  options: {
    /** Storage to use instead of a fresh memory store (bpSizeBytes is then ignored). */
    store?: RigStore;
    bpSizeBytes?: number;
    namespaceSizeBytes?: number;
    memoryBytes?: number;
    /** false: build the controller without a namespace store (NN=0). */
    namespace?: false;
  } & Partial<Pick<ControllerOptions, "config" | "quirks" | "interrupts">> = {},
): Rig {
  const store: RigStore =
    options.store ??
    createMemoryStore({
      bpSizeBytes: options.bpSizeBytes ?? SMALL_BP_BYTES,
      namespaceSizeBytes: options.namespaceSizeBytes ?? 1024 * 1024,
    });
  const memory = new FlatHostMemory(options.memoryBytes);
  const scheduler = new ManualScheduler();
  const clock = new ManualClock();
  const controller = new NvmeController({
    hostMemory: memory,
    bootPartitions: store.bootPartitions,
    namespace: options.namespace === false ? undefined : store.namespace,
    scheduler,
    clock,
    config: options.config,
    quirks: options.quirks,
    interrupts: options.interrupts,
  });
  const events: TraceEvent[] = [];
  controller.trace.subscribe((event) => events.push(event));
  const host = new TestHost(controller, memory, scheduler);
  return { controller, memory, scheduler, clock, store, events, host };
}

/** A minimal polling host: admin queues, one I/O queue pair, phase tracking. */
export class TestHost {
  readonly adminEntries = 16;
  private queues = new Map<
    number,
    { sq: bigint; cq: bigint; entries: number; tail: number; head: number; phase: 0 | 1 }
  >();
  private nextCid = 1;

  constructor(
    readonly controller: NvmeController,
    readonly memory: FlatHostMemory,
    readonly scheduler: ManualScheduler,
  ) {}

  /** Programs AQA/ASQ/ACQ and sets CC.EN=1 with 64/16-byte entries; returns CSTS. */
  enable(ccOverrides: Partial<Cc> = {}): number {
    const sq = this.memory.alloc(this.adminEntries * SQE_SIZE);
    const cq = this.memory.alloc(this.adminEntries * CQE_SIZE);
    this.queues.set(0, { sq, cq, entries: this.adminEntries, tail: 0, head: 0, phase: 1 });
    const c = this.controller;
    c.mmioWrite32(
      RegisterOffset.AQA,
      aqaCodec.encode({ asqs: this.adminEntries - 1, acqs: this.adminEntries - 1 }),
    );
    c.mmioWrite64(RegisterOffset.ASQ, sq);
    c.mmioWrite64(RegisterOffset.ACQ, cq);
    c.mmioWrite32(
      RegisterOffset.CC,
      ccCodec.encode({ en: true, iosqes: SQE_SIZE_LOG2, iocqes: CQE_SIZE_LOG2, ...ccOverrides }),
    );
    return c.mmioRead32(RegisterOffset.CSTS);
  }

  /** After a reset the controller forgets the queues; the host forgets them too. */
  forgetQueues(): void {
    this.queues.clear();
  }

  /** Registers an I/O queue pair the host created with Create I/O CQ/SQ. */
  trackIoQueue(qid: number, sq: bigint, cq: bigint, entries: number): void {
    this.queues.set(qid, { sq, cq, entries, tail: 0, head: 0, phase: 1 });
  }

  /** Submits without waiting: writes the SQE and rings the tail doorbell. */
  post(sqe: SubmissionQueueEntry, qid = 0): number {
    const queue = this.queues.get(qid)!;
    const cid = sqe.cid === 0 ? this.nextCid++ & 0xffff : sqe.cid;
    this.memory.write(queue.sq + BigInt(queue.tail * SQE_SIZE), encodeSqe({ ...sqe, cid }));
    queue.tail = (queue.tail + 1) % queue.entries;
    this.controller.mmioWrite32(sqTailDoorbellOffset(qid, 0), queue.tail);
    return cid;
  }

  /** Reads the next completion if the controller posted one; consumes it and rings the head doorbell. */
  poll(qid = 0): CompletionQueueEntry | undefined {
    const queue = this.queues.get(qid)!;
    const slot = this.memory.read(queue.cq + BigInt(queue.head * CQE_SIZE), CQE_SIZE);
    if (cqePhase(slot) !== queue.phase) return undefined;
    const cqe = decodeCqe(slot);
    queue.head = (queue.head + 1) % queue.entries;
    if (queue.head === 0) queue.phase = queue.phase === 1 ? 0 : 1;
    this.controller.mmioWrite32(cqHeadDoorbellOffset(qid, 0), queue.head);
    return cqe;
  }

  /** Submits, lets the device run, and returns the completion (throws if none arrived). */
  submit(sqe: SubmissionQueueEntry, qid = 0): CompletionQueueEntry {
    const cid = this.post(sqe, qid);
    this.scheduler.runUntilIdle();
    const cqe = this.poll(qid);
    if (!cqe) throw new Error(`no completion for CID ${cid} on queue ${qid}`);
    if (cqe.cid !== cid) throw new Error(`completion for CID ${cqe.cid}, expected ${cid}`);
    return cqe;
  }
}

/** "1h/1Eh" for a completion, the form tests compare. */
export function statusOf(cqe: CompletionQueueEntry): string {
  return `${cqe.status.sct.toString(16)}h/${cqe.status.sc.toString(16).toUpperCase().padStart(2, "0")}h`;
}

/** A deterministic byte pattern, different per seed. */
export function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let index = 0; index < length; index++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[index] = state & 0xff;
  }
  return bytes;
}

export function readBp(rig: Rig, bpid: 0 | 1): Uint8Array {
  const bytes = new Uint8Array(rig.store.bootPartitions.bpSizeBytes);
  rig.store.bootPartitions.readBp(bpid, 0, bytes);
  return bytes;
}

export function kinds(events: readonly TraceEvent[]): string[] {
  return events.map((event) => event.kind);
}

/** Byte-for-byte equality of two buffers; faster than toEqual on large typed arrays. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  );
}

/** BP `bpid` holds `image` and zeros past it: what a CA=110b commit of `image` leaves (MC-21). */
export function expectBpHolds(rig: Rig, bpid: 0 | 1, image: Uint8Array): void {
  const bp = readBp(rig, bpid);
  expect(sameBytes(bp.subarray(0, image.length), image)).toBe(true);
  expect(bp.subarray(image.length).every((byte) => byte === 0)).toBe(true);
}
