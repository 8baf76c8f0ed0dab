import {
  BOOT_PARTITION_UNIT_BYTES,
  BootReadStatus,
  BPRSEL_UNIT_BYTES,
  type BpId,
  bprselCodec,
} from "@bplab/nvme-spec";
import { describeThrown } from "./errors.js";
import { type BootPartitionStore, DmaError, type HostMemory, type Scheduler } from "./ports.js";
import { copySourceToHostRange } from "./prp.js";
import type { QuirkSwitches } from "./quirks.js";
import { hex32, type TraceBus } from "./trace.js";

/**
 * The register read path of the Boot Partitions (docs/spec/boot-partitions.md §1.2–1.5): BPMBL names a 4 KiB aligned
 * host buffer, a BPRSEL write starts a read (BRS 00b/10b/11b → 01b), and deferred work on the
 * Scheduler copies the data and ends with BRS=10b or 11b. Model choices MC-1..MC-7.
 */

/** BPMBL bits 11:0 are reserved: writes are dropped and they read as 0 (MC-4). */
const BPMBL_RESERVED_MASK = 0xfff;
/** BPRSEL bit 30 is reserved. */
const BPRSEL_WRITABLE_MASK = bprselCodec.encode({ bprsz: 0x3ff, bprof: 0xfffff, bpid: 1 });
const DWORD_SHIFT = 32n;
const DWORD_MASK = 0xffff_ffffn;

export interface BootReadDeps {
  readonly store: BootPartitionStore;
  readonly memory: HostMemory;
  readonly scheduler: Scheduler;
  readonly trace: TraceBus;
  readonly quirks: QuirkSwitches;
  /** Reports an unexpected exception from deferred work (the core never throws). */
  readonly onInternalError: (where: string, thrown: unknown) => void;
}

export class BootPartitionReader {
  private bprsel = 0;
  private bpmbl = 0n;
  private brs: number = BootReadStatus.None;
  /** Bumped by every reset so a read scheduled before the reset never runs (MC-5). */
  private generation = 0;
  private readonly deps: BootReadDeps;
  /** The BP being read, as a transfer source (one per reader, retargeted per read). */
  private readonly source: { bpid: BpId; read(offset: number, into: Uint8Array): void };

  constructor(deps: BootReadDeps) {
    this.deps = deps;
    const store = deps.store;
    this.source = {
      bpid: 0,
      read(offset, into) {
        store.readBp(this.bpid, offset, into);
      },
    };
  }

  /** BPSZ in 128 KiB units. */
  get bpsz(): number {
    return this.deps.store.bpSizeBytes / BOOT_PARTITION_UNIT_BYTES;
  }

  get bootReadStatus(): number {
    return this.brs;
  }

  readBprsel(): number {
    return this.bprsel;
  }

  /** The low (0x48) or high (0x4C) dword of BPMBL. */
  readBpmblDword(high: boolean): number {
    return Number(high ? (this.bpmbl >> DWORD_SHIFT) & DWORD_MASK : this.bpmbl & DWORD_MASK);
  }

  writeBpmblDword(high: boolean, value: number): void {
    const dword = BigInt(value >>> 0);
    this.bpmbl = high
      ? (this.bpmbl & DWORD_MASK) | (dword << DWORD_SHIFT)
      : (this.bpmbl & (DWORD_MASK << DWORD_SHIFT)) | (dword & ~BigInt(BPMBL_RESERVED_MASK));
  }

  /**
   * A BPRSEL write starts a read, with CC.EN 0 or 1 (MC-6). While BRS=01b the write is ignored:
   * BPRSEL keeps its value and no second DMA starts (MC-3).
   */
  writeBprsel(value: number): void {
    if (this.brs === BootReadStatus.Reading) {
      this.deps.trace.emit("bp.read.ignored", () => ({ bprsel: hex32(value), reason: "BRS=01b (MC-3)" }));
      return;
    }
    this.bprsel = (value & BPRSEL_WRITABLE_MASK) >>> 0;
    this.brs = BootReadStatus.Reading;
    const request = bprselCodec.decode(this.bprsel);
    // The buffer address is taken when the read starts, so a later BPMBL write cannot redirect it.
    const buffer = this.bpmbl;
    const generation = this.generation;
    this.deps.trace.emit("bp.read.start", () => ({
      bpid: request.bpid,
      offsetBytes: request.bprof * BPRSEL_UNIT_BYTES,
      lengthBytes: request.bprsz * BPRSEL_UNIT_BYTES,
      buffer,
    }));
    this.deps.scheduler.defer(() => {
      if (generation !== this.generation) return;
      try {
        this.finish(this.performRead(request.bpid as BpId, request.bprof, request.bprsz, buffer));
      } catch (thrown) {
        this.deps.onInternalError("boot partition read", thrown);
        this.finish({ brs: BootReadStatus.Error, reason: `internal error: ${describeThrown(thrown)}` });
      }
    });
  }

  /** Controller Level Reset or power cycle: cancel a read; BRS, BPRSEL, BPMBL return to 0 (MC-5). */
  reset(): void {
    if (this.brs === BootReadStatus.Reading)
      this.deps.trace.emit("bp.read.cancelled", { reason: "reset (MC-5)" });
    this.generation += 1;
    this.bprsel = 0;
    this.bpmbl = 0n;
    this.brs = BootReadStatus.None;
  }

  private performRead(bpid: BpId, bprof: number, bprsz: number, buffer: bigint): ReadOutcome {
    if (this.deps.quirks.bprselReadAlwaysErrors) {
      return { brs: BootReadStatus.Error, reason: "quirk bprselReadAlwaysErrors" };
    }
    const offsetBytes = bprof * BPRSEL_UNIT_BYTES;
    const lengthBytes = bprsz * BPRSEL_UNIT_BYTES;
    if (offsetBytes + lengthBytes > this.deps.store.bpSizeBytes) {
      return { brs: BootReadStatus.Error, reason: "BPROF+BPRSZ past the end of the BP (MC-2)" };
    }
    if (lengthBytes === 0) return { brs: BootReadStatus.Success, reason: "BPRSZ=0 transfers nothing (MC-1)" };
    // Straight from the store into the host buffer (issue 13): no buffer of the whole read.
    this.source.bpid = bpid;
    try {
      copySourceToHostRange(this.deps.memory, buffer, lengthBytes, this.source, offsetBytes);
    } catch (error) {
      if (!(error instanceof DmaError)) throw error;
      return { brs: BootReadStatus.Error, reason: `DMA failed (MC-7): ${error.message}` };
    }
    return { brs: BootReadStatus.Success, bytes: lengthBytes };
  }

  private finish(outcome: ReadOutcome): void {
    this.brs = outcome.brs;
    this.deps.trace.emit("bp.read.done", () => ({
      brs: outcome.brs,
      ok: outcome.brs === BootReadStatus.Success,
      bytes: outcome.bytes ?? 0,
      reason: outcome.reason,
    }));
  }
}

interface ReadOutcome {
  readonly brs: number;
  readonly bytes?: number;
  readonly reason?: string;
}
