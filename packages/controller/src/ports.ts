/**
 * Ports of the controller core: everything the core needs from the outside world.
 * The names and shapes are a contract (docs/architecture.md); other packages code against them.
 */

import { CodedError } from "@bplab/node-kit";
import type { BpId } from "@bplab/nvme-spec";

/**
 * DMA as the device sees it. Every method throws DmaError when the range is not mapped.
 *
 * `read` and `write` are all an adapter must provide. The two optional methods let memory that
 * lives in this process skip copies on the command path (issue 13); the core works without them.
 */
export interface HostMemory {
  read(addr: bigint, length: number): Uint8Array;
  write(addr: bigint, data: Uint8Array): void;
  /** Copies `into.length` bytes at `addr` into `into`, without allocating (SQE fetches). */
  readInto?(addr: bigint, into: Uint8Array): void;
  /**
   * A live view of `length` bytes at `addr`, when they are one contiguous buffer in this process;
   * `undefined` otherwise. Bulk transfers then go straight between the store and host memory.
   */
  view?(addr: bigint, length: number): Uint8Array | undefined;
}

/** Where the controller raises interrupts (an MSI-X vector, or vector 0 for INTx). */
export interface InterruptSink {
  assert(vector: number): void;
  deassert(vector: number): void;
}

/** Time source, injected so tests and traces are deterministic. */
export interface Clock {
  nowMs(): number;
}

/** Where deferred device work (doorbell processing, BP reads) runs. */
export interface Scheduler {
  defer(task: () => void): void;
}

/**
 * One pair of Boot Partitions plus their nonvolatile metadata.
 *
 * Buffers passed in (`readBp`'s `into`, `stageWrite`'s `data`) may be live views of host memory
 * or a scratch buffer the controller reuses: a store reads or writes them before returning and
 * never keeps them. A Firmware Image Download of several PRP segments is staged with one
 * `stageWrite` per segment, at ascending contiguous offsets.
 */
export interface BootPartitionStore {
  /** BPSZ x 128 KiB: the size of each BP. */
  readonly bpSizeBytes: number;
  readBp(bpid: BpId, offset: number, into: Uint8Array): void;
  /** Bytes staged by Firmware Image Download. */
  readonly stagedLength: number;
  /** Appends or writes staged bytes; the controller enforces the order rules (MC-11). */
  stageWrite(offset: number, data: Uint8Array): void;
  discardStaged(): void;
  /**
   * Atomic: BP := staged image, zero-filled to bpSizeBytes; consumes the staged image (MC-21,
   * MC-22). When it throws, the BP holds its old or its new image and nothing stays staged (MC-13).
   */
  commitStaged(bpid: BpId): void;
  /** ABPID, nonvolatile. */
  readonly activeBpid: BpId;
  setActiveBpid(bpid: BpId): void;
}

/** The backing store of the one namespace. */
export interface NamespaceStore {
  readonly sizeBytes: number;
  read(offset: number, into: Uint8Array): void;
  write(offset: number, data: Uint8Array): void;
  writeZeroes(offset: number, length: number): void;
  flush(): void;
}

/** Thrown by a HostMemory implementation when a DMA touches memory that is not mapped. */
export class DmaError extends CodedError<"DMA_UNMAPPED"> {
  readonly addr: bigint;
  readonly length: number;

  constructor(addr: bigint, length: number, detail?: string) {
    super(
      "DMA_UNMAPPED",
      `DMA to unmapped host memory: ${length} bytes at 0x${addr.toString(16)}${detail ? ` (${detail})` : ""}`,
    );
    this.addr = addr;
    this.length = length;
  }
}
