import { TargetError } from "../target.js";

export interface FlatMemoryOptions {
  /** Bytes of host memory. */
  sizeBytes: number;
  /**
   * Address of the first byte. Above 4 GiB by default so every 64-bit register (ASQ, ACQ, BPMBL)
   * and PRP is exercised with a non-zero upper dword, and address 0 is unmapped.
   */
  baseAddress?: bigint;
}

export const DEFAULT_FLAT_MEMORY_BASE = 1n << 32n;
/** Allocations are page aligned unless the caller asks otherwise: what queues and BPMBL need. */
export const DEFAULT_ALLOC_ALIGNMENT = 4096;
/**
 * The backing buffer's first size: queues, PRP lists and a scenario's data buffers fit, so it
 * rarely grows. Pages of it that nobody touches cost no memory.
 */
const MIN_BACKING_BYTES = 1024 * 1024;

/**
 * Host memory for targets that run in this process: `sizeBytes` of zero-filled memory at a base
 * address and a bump allocator (nothing is ever freed; a target lives for one scenario). Accesses
 * outside it throw TargetError HOST_MEMORY_UNMAPPED.
 *
 * The backing buffer covers only what was allocated or written so far and grows (doubling) on
 * demand; bytes past it read as zero. A scenario's target is given 32 MiB and touches a few
 * hundred KiB, and a fresh 32 MiB buffer per scenario made the garbage collector run on external
 * memory pressure for most of the scenario suite's time (issue 13, docs/performance.md).
 */
export class FlatMemory {
  readonly baseAddress: bigint;
  readonly sizeBytes: number;
  private bytes: Buffer;
  private nextFree = 0;

  constructor(options: FlatMemoryOptions) {
    if (!Number.isSafeInteger(options.sizeBytes) || options.sizeBytes <= 0) {
      throw new TargetError(
        "BAD_ARGUMENT",
        `memoryBytes: must be a positive integer, got ${options.sizeBytes}`,
      );
    }
    this.baseAddress = options.baseAddress ?? DEFAULT_FLAT_MEMORY_BASE;
    this.sizeBytes = options.sizeBytes;
    this.bytes = Buffer.alloc(0);
  }

  /** Bytes handed out so far, alignment padding included. */
  get allocatedBytes(): number {
    return this.nextFree;
  }

  alloc(size: number, align = DEFAULT_ALLOC_ALIGNMENT): bigint {
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new TargetError("BAD_ARGUMENT", `alloc size: must be a positive integer, got ${size}`);
    }
    if (!Number.isSafeInteger(align) || align <= 0 || (align & (align - 1)) !== 0) {
      throw new TargetError("BAD_ARGUMENT", `alloc align: must be a power of two, got ${align}`);
    }
    const baseMisalignment = Number(this.baseAddress % BigInt(align));
    const absoluteStart = this.nextFree + baseMisalignment;
    const start = Math.ceil(absoluteStart / align) * align - baseMisalignment;
    if (start + size > this.sizeBytes) {
      throw new TargetError(
        "HOST_MEMORY_EXHAUSTED",
        `alloc of ${size} bytes: only ${this.sizeBytes - this.nextFree} of ${this.sizeBytes} bytes of host memory left (raise memoryBytes)`,
      );
    }
    this.nextFree = start + size;
    this.backTo(this.nextFree);
    return this.baseAddress + BigInt(start);
  }

  /** A copy of `length` bytes at `addr`. */
  read(addr: bigint, length: number): Uint8Array {
    const copy = new Uint8Array(length);
    this.readInto(addr, copy);
    return copy;
  }

  /** Copies `into.length` bytes at `addr` into `into`, allocating nothing (a driver's reused buffers). */
  readInto(addr: bigint, into: Uint8Array): void {
    const start = this.offsetOf(addr, into.length);
    const backed = Math.max(0, Math.min(into.length, this.bytes.length - start));
    into.set(this.bytes.subarray(start, start + backed));
    if (backed < into.length) into.fill(0, backed);
  }

  write(addr: bigint, data: Uint8Array): void {
    const start = this.offsetOf(addr, data.length);
    this.backTo(start + data.length);
    this.bytes.set(data, start);
  }

  /**
   * A live view of `length` bytes at `addr`, for copies straight into or out of host memory; or
   * `undefined` when part of the range was never allocated or written (then use read/write). The
   * view stays valid until a write past the backed memory grows it, so use it at once.
   */
  view(addr: bigint, length: number): Uint8Array | undefined {
    const start = this.offsetOf(addr, length);
    if (start + length > this.bytes.length) return undefined;
    return this.bytes.subarray(start, start + length);
  }

  /** Whether [addr, addr+length) lies inside the memory. */
  contains(addr: bigint, length: number): boolean {
    if (!Number.isSafeInteger(length) || length < 0) return false;
    const end = this.baseAddress + BigInt(this.sizeBytes);
    return addr >= this.baseAddress && addr + BigInt(length) <= end;
  }

  /** Grows the backing buffer (doubling, at most to sizeBytes) so that it covers `end` bytes. */
  private backTo(end: number): void {
    if (end <= this.bytes.length) return;
    const doubled = Math.max(MIN_BACKING_BYTES, this.bytes.length * 2);
    const grown = Buffer.alloc(Math.min(this.sizeBytes, Math.max(end, doubled)));
    grown.set(this.bytes);
    this.bytes = grown;
  }

  private offsetOf(addr: bigint, length: number): number {
    if (!this.contains(addr, length)) {
      throw new TargetError(
        "HOST_MEMORY_UNMAPPED",
        `${length} bytes at 0x${addr.toString(16)} are outside host memory 0x${this.baseAddress.toString(16)}+${this.sizeBytes}`,
      );
    }
    return Number(addr - this.baseAddress);
  }
}
