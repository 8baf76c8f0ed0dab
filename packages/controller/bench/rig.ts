/**
 * A controller with the test suite's polling host (test/harness.ts) plus what benchmarks need on
 * top: a store of their choice, PRP lists for transfers larger than two pages, host memory with
 * the zero-copy methods, and a lean admin queue driver.
 */
import {
  aqaCodec,
  type BpId,
  bpWriteProtectionForOne,
  buildSetFeatures,
  CQE_DW3_LAYOUT,
  CQE_SIZE,
  CqeOffset,
  cqHeadDoorbellOffset,
  encodeBpWriteProtection,
  FeatureId,
  RegisterOffset,
  SQE_SIZE,
  sqTailDoorbellOffset,
} from "@bplab/nvme-spec";
import type { ControllerConfig } from "../src/config.js";
import { NvmeController } from "../src/controller.js";
import { type BootPartitionStore, DmaError } from "../src/ports.js";
import { ManualScheduler } from "../src/time.js";
import { FlatHostMemory, PAGE, statusOf, TestHost } from "../test/harness.js";

export interface BenchRig {
  readonly controller: NvmeController;
  readonly memory: BenchHostMemory;
  readonly scheduler: ManualScheduler;
  readonly host: TestHost;
}

/**
 * The test suite's flat host memory plus the two optional HostMemory methods (ports.ts): the
 * controller then fetches SQEs without allocating and moves bulk data straight between the store
 * and this buffer, as it would with any adapter whose guest memory lives in this process.
 */
export class BenchHostMemory extends FlatHostMemory {
  // read and write again, without the harness's bigint range check (it allocates per call).
  override read(addr: bigint, length: number): Uint8Array {
    const start = this.start(addr, length);
    return this.bytes.slice(start, start + length);
  }

  override write(addr: bigint, data: Uint8Array): void {
    this.bytes.set(data, this.start(addr, data.length));
  }

  readInto(addr: bigint, into: Uint8Array): void {
    const start = this.start(addr, into.length);
    // An SQE is 64 bytes: a loop beats creating a subarray to copy from.
    for (let index = 0; index < into.length; index++) into[index] = this.bytes[start + index]!;
  }

  view(addr: bigint, length: number): Uint8Array {
    const start = this.start(addr, length);
    return this.bytes.subarray(start, start + length);
  }

  private start(addr: bigint, length: number): number {
    const start = Number(addr);
    if (addr < 0n || start + length > this.bytes.length) throw new DmaError(addr, length);
    return start;
  }
}

/**
 * The admin queue pair driven the way a driver's hot loop does: the SQE is encoded once and only
 * its CID changes, and the CQE is checked in place (phase, CID, status). TestHost builds and
 * decodes an object per command, which is host cost, not the controller's command path. It takes
 * over the queues TestHost.enable() created: use it or rig.host for commands, not both.
 */
export class AdminQueueDriver {
  private readonly sqBase: number;
  private readonly cqBase: number;
  private readonly entries: number;
  private readonly words: DataView;
  private tail = 0;
  private head = 0;
  private phase = 1;
  private cid = 0;

  constructor(private readonly rig: BenchRig) {
    const { controller, memory } = rig;
    this.sqBase = Number(controller.mmioRead64(RegisterOffset.ASQ));
    this.cqBase = Number(controller.mmioRead64(RegisterOffset.ACQ));
    this.entries = aqaCodec.decode(controller.mmioRead32(RegisterOffset.AQA)).asqs + 1;
    this.words = new DataView(memory.bytes.buffer, memory.bytes.byteOffset, memory.bytes.byteLength);
  }

  /** Submits the encoded `sqe` with a fresh CID, lets the device run, returns the CQE status field. */
  submit(sqe: Uint8Array): number {
    const slot = this.sqBase + this.tail * SQE_SIZE;
    this.rig.memory.bytes.set(sqe, slot);
    this.cid = (this.cid + 1) & 0xffff;
    this.words.setUint16(slot + CID_BYTE, this.cid, true);
    this.tail = (this.tail + 1) % this.entries;
    this.rig.controller.mmioWrite32(SQ_TAIL_DOORBELL, this.tail);
    this.rig.scheduler.runUntilIdle();
    const dw3 = this.words.getUint32(this.cqBase + this.head * CQE_SIZE + CqeOffset.DW3, true);
    const { cid, phase, status } = CQE_DW3_LAYOUT;
    if (((dw3 >>> phase.lsb) & phase.max) !== this.phase)
      throw new Error(`no completion for CID ${this.cid}`);
    const completedCid = (dw3 >>> cid.lsb) & cid.max;
    if (completedCid !== this.cid)
      throw new Error(`completion for CID ${completedCid}, expected ${this.cid}`);
    this.head = (this.head + 1) % this.entries;
    if (this.head === 0) this.phase ^= 1;
    this.rig.controller.mmioWrite32(CQ_HEAD_DOORBELL, this.head);
    return (dw3 >>> status.lsb) & status.max;
  }
}

const ADMIN_QUEUE = 0;
const SQ_TAIL_DOORBELL = sqTailDoorbellOffset(ADMIN_QUEUE, 0);
const CQ_HEAD_DOORBELL = cqHeadDoorbellOffset(ADMIN_QUEUE, 0);
/** CDW0 bits 31:16 hold the CID: bytes 2-3 of the entry. */
const CID_BYTE = 2;

export function createBenchRig(
  bootPartitions: BootPartitionStore,
  memoryBytes: number,
  config?: Partial<ControllerConfig>,
): BenchRig {
  const memory = new BenchHostMemory(memoryBytes);
  const scheduler = new ManualScheduler();
  const controller = new NvmeController({ hostMemory: memory, bootPartitions, scheduler, config });
  const host = new TestHost(controller, memory, scheduler);
  host.enable();
  return { controller, memory, scheduler, host };
}

/** A page-aligned data buffer and the PRP lists that map it (PRP1 + list, as a host driver builds). */
export interface DataBuffer {
  readonly addr: bigint;
  readonly bytes: number;
  /** PRP1/PRP2 for a transfer of `length` bytes from the start of the buffer. */
  prps(length: number): { prp1: bigint; prp2: bigint };
}

const PRP_ENTRY_BYTES = 8;
const ENTRIES_PER_LIST_PAGE = PAGE / PRP_ENTRY_BYTES;

/**
 * A buffer of `bytes` plus PRP lists for exactly that size: the last entry of a full list page
 * chains to the next page (NVMe Base §4.3.1). A shorter transfer may use the lists only while it
 * stays inside the first list page, where no chain pointer sits.
 */
export function allocDataBuffer(rig: BenchRig, bytes: number): DataBuffer {
  const addr = rig.memory.alloc(bytes, PAGE);
  const pages = Math.ceil(bytes / PAGE);
  const listEntries = pages - 1;
  const listPages = Math.max(1, Math.ceil((listEntries - 1) / (ENTRIES_PER_LIST_PAGE - 1)));
  const listAddr = rig.memory.alloc(listPages * PAGE, PAGE);
  const list = new DataView(new ArrayBuffer(listPages * PAGE));
  let slot = 0;
  for (let page = 1; page < pages; page++) {
    const lastInListPage = slot % ENTRIES_PER_LIST_PAGE === ENTRIES_PER_LIST_PAGE - 1;
    if (lastInListPage && page < pages - 1) {
      list.setBigUint64(slot * PRP_ENTRY_BYTES, listAddr + BigInt((slot + 1) * PRP_ENTRY_BYTES), true);
      slot++;
    }
    list.setBigUint64(slot * PRP_ENTRY_BYTES, addr + BigInt(page * PAGE), true);
    slot++;
  }
  rig.memory.write(listAddr, new Uint8Array(list.buffer));
  return {
    addr,
    bytes,
    prps(length) {
      const used = Math.ceil(length / PAGE);
      if (used <= 1) return { prp1: addr, prp2: 0n };
      if (used === 2) return { prp1: addr, prp2: addr + BigInt(PAGE) };
      if (length !== bytes && used - 1 > ENTRIES_PER_LIST_PAGE)
        throw new Error(`the PRP lists map ${bytes} bytes, not ${length}`);
      return { prp1: addr, prp2: listAddr };
    },
  };
}

/** Set Features 85h for one BP; benchmarks need BPs unlocked before they commit. */
export function setLock(rig: BenchRig, bpid: BpId, state: number): void {
  const states = bpWriteProtectionForOne(bpid, state);
  const cqe = rig.host.submit(
    buildSetFeatures({
      cid: 0,
      fid: FeatureId.BootPartitionWriteProtection,
      cdw11: encodeBpWriteProtection(states),
    }),
  );
  expectSuccess("Set Features 85h", statusOf(cqe));
}

export function expectSuccess(what: string, status: string): void {
  if (status !== "0h/00h") throw new Error(`${what} failed with status ${status}`);
}
