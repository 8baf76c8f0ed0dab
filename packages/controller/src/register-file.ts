import { aqaCodec, ccCodec, cstsCodec, RegisterOffset, registerName } from "@bplab/nvme-spec";
import type { BootPartitionReader } from "./boot-partitions.js";
import type { QueueEngine } from "./queues.js";
import { CONTROLLER_VERSION } from "./registers.js";
import { hex32, type TraceBus } from "./trace.js";

/**
 * BAR0 as the host sees it (NVMe Base §3.1.4): the stored register values, dword and qword
 * access, and the hooks that give CC, BPRSEL/BPMBL and the doorbells their side effects. A
 * 64-bit register may be accessed as two dwords; unknown, read-only and unaligned offsets read
 * 0 (or their value) and ignore writes.
 */

const DWORD_BYTES = 4;
const DWORD_SHIFT = 32n;
const DWORD_MASK = 0xffff_ffffn;
const QWORD_BITS = 64;
/** Upper dwords of the 64-bit registers. */
const CAP_HIGH = RegisterOffset.CAP + DWORD_BYTES;
const ASQ_HIGH = RegisterOffset.ASQ + DWORD_BYTES;
const ACQ_HIGH = RegisterOffset.ACQ + DWORD_BYTES;
const BPMBL_HIGH = RegisterOffset.BPMBL + DWORD_BYTES;

export interface RegisterFileDeps {
  readonly cap: bigint;
  readonly trace: TraceBus;
  readonly bootReader: BootPartitionReader;
  readonly queues: QueueEngine;
  /** The current BPINFO value (BPSZ, BRS, ABPID). */
  readonly bpinfo: () => number;
  /** Called after CC changes, with the old and new (reserved bits dropped) values. */
  readonly onCcWrite: (previous: number, next: number) => void;
  readonly onDoorbell: (offset: number, value: number) => void;
}

export interface RegisterSnapshot {
  readonly cap: bigint;
  readonly cc: number;
  readonly aqa: number;
  readonly asq: bigint;
  readonly acq: bigint;
}

export class RegisterFile {
  private cc = 0;
  private csts = 0;
  private aqa = 0;
  /** ASQ and ACQ keep every bit the host wrote, so an unaligned base can fail CC.EN (MC-60). */
  private asq = 0n;
  private acq = 0n;
  private readonly deps: RegisterFileDeps;

  constructor(deps: RegisterFileDeps) {
    this.deps = deps;
  }

  get status(): number {
    return this.csts;
  }

  setStatus(value: number): void {
    this.csts = value >>> 0;
  }

  setShutdownStatus(shst: number): void {
    const fields = cstsCodec.decode(this.csts);
    this.csts = cstsCodec.encode({ ...fields, shst });
  }

  snapshot(): RegisterSnapshot {
    return { cap: this.deps.cap, cc: this.cc, aqa: this.aqa, asq: this.asq, acq: this.acq };
  }

  /** CSTS clears; CC.EN 1→0 keeps CC/AQA/ASQ/ACQ, a function reset or power cycle clears them. */
  reset(options: { keepAdminQueueRegisters: boolean }): void {
    this.csts = cstsCodec.encode({});
    if (options.keepAdminQueueRegisters) return;
    this.cc = 0;
    this.aqa = 0;
    this.asq = 0n;
    this.acq = 0n;
  }

  read32(offset: number): number {
    if (!isDwordOffset(offset)) return 0;
    switch (offset) {
      case RegisterOffset.CAP:
        return low(this.deps.cap);
      case CAP_HIGH:
        return high(this.deps.cap);
      case RegisterOffset.VS:
        return CONTROLLER_VERSION;
      case RegisterOffset.INTMS:
      case RegisterOffset.INTMC:
        return this.deps.queues.interruptMaskBits;
      case RegisterOffset.CC:
        return this.cc;
      case RegisterOffset.CSTS:
        return this.csts;
      case RegisterOffset.AQA:
        return this.aqa;
      case RegisterOffset.ASQ:
        return low(this.asq);
      case ASQ_HIGH:
        return high(this.asq);
      case RegisterOffset.ACQ:
        return low(this.acq);
      case ACQ_HIGH:
        return high(this.acq);
      case RegisterOffset.BPINFO:
        return this.deps.bpinfo();
      case RegisterOffset.BPRSEL:
        return this.deps.bootReader.readBprsel();
      case RegisterOffset.BPMBL:
        return this.deps.bootReader.readBpmblDword(false);
      case BPMBL_HIGH:
        return this.deps.bootReader.readBpmblDword(true);
      default:
        // NSSR reads 0 (CAP.NSSRS=0); doorbells are write-only; everything else is reserved.
        return 0;
    }
  }

  read64(offset: number): bigint {
    if (!isDwordOffset(offset)) return 0n;
    return BigInt(this.read32(offset)) | (BigInt(this.read32(offset + DWORD_BYTES)) << DWORD_SHIFT);
  }

  write32(offset: number, rawValue: number): void {
    if (!isDwordOffset(offset)) {
      this.deps.trace.emit("register.ignored", { offset, reason: "not a dword-aligned offset" });
      return;
    }
    const value = Number.isFinite(rawValue) ? rawValue >>> 0 : 0;
    if (offset >= RegisterOffset.DOORBELL_BASE) {
      this.deps.onDoorbell(offset, value);
      return;
    }
    this.deps.trace.emit("register", () => ({ offset, name: dwordName(offset), value: hex32(value) }));
    switch (offset) {
      case RegisterOffset.INTMS:
        this.deps.queues.maskInterrupts(value);
        return;
      case RegisterOffset.INTMC:
        this.deps.queues.unmaskInterrupts(value);
        return;
      case RegisterOffset.CC: {
        const previous = this.cc;
        this.cc = (value & ~ccCodec.reservedMask) >>> 0;
        this.deps.onCcWrite(previous, this.cc);
        return;
      }
      case RegisterOffset.AQA:
        this.aqa = (value & ~aqaCodec.reservedMask) >>> 0;
        return;
      case RegisterOffset.ASQ:
      case ASQ_HIGH:
        this.asq = withDword(this.asq, offset === ASQ_HIGH, value);
        return;
      case RegisterOffset.ACQ:
      case ACQ_HIGH:
        this.acq = withDword(this.acq, offset === ACQ_HIGH, value);
        return;
      case RegisterOffset.BPRSEL:
        this.deps.bootReader.writeBprsel(value);
        return;
      case RegisterOffset.BPMBL:
        this.deps.bootReader.writeBpmblDword(false, value);
        return;
      case BPMBL_HIGH:
        this.deps.bootReader.writeBpmblDword(true, value);
        return;
      default:
        // CAP, VS, CSTS (NSSRO is never set), NSSR (CAP.NSSRS=0), BPINFO and reserved offsets.
        return;
    }
  }

  /** A qword write is two dword writes, low dword first (how 64-bit properties are defined). */
  write64(offset: number, value: bigint): void {
    if (typeof value !== "bigint") {
      this.deps.trace.emit("register.ignored", { offset, reason: "64-bit write without a bigint value" });
      return;
    }
    const unsigned = BigInt.asUintN(QWORD_BITS, value);
    this.write32(offset, Number(unsigned & DWORD_MASK));
    this.write32(offset + DWORD_BYTES, Number(unsigned >> DWORD_SHIFT));
  }
}

function isDwordOffset(offset: number): boolean {
  return Number.isInteger(offset) && offset >= 0 && offset % DWORD_BYTES === 0;
}

function low(value: bigint): number {
  return Number(value & DWORD_MASK);
}

function high(value: bigint): number {
  return Number((value >> DWORD_SHIFT) & DWORD_MASK);
}

/** A 64-bit register with one of its dwords replaced: hosts write ASQ and ACQ a dword at a time. */
function withDword(value: bigint, highDword: boolean, dword: number): bigint {
  return highDword
    ? (value & DWORD_MASK) | (BigInt(dword) << DWORD_SHIFT)
    : (value & (DWORD_MASK << DWORD_SHIFT)) | BigInt(dword);
}

function dwordName(offset: number): string {
  const name = registerName(offset) ?? registerName(offset - DWORD_BYTES);
  if (name === undefined) return `reserved ${offset.toString(16)}h`;
  return registerName(offset) === undefined ? `${name}.hi` : name;
}
