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
 * Host memory for targets that run in this process: one zero-filled Buffer at a base address and a
 * bump allocator (nothing is ever freed; a target lives for one scenario). Accesses outside the
 * buffer throw TargetError HOST_MEMORY_UNMAPPED.
 */
export class FlatMemory {
  readonly baseAddress: bigint;
  readonly sizeBytes: number;
  private readonly bytes: Buffer;
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
    this.bytes = Buffer.alloc(options.sizeBytes);
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
    return this.baseAddress + BigInt(start);
  }

  read(addr: bigint, length: number): Uint8Array {
    const start = this.offsetOf(addr, length);
    return new Uint8Array(this.bytes.subarray(start, start + length));
  }

  write(addr: bigint, data: Uint8Array): void {
    this.bytes.set(data, this.offsetOf(addr, data.length));
  }

  /** Whether [addr, addr+length) lies inside the memory. */
  contains(addr: bigint, length: number): boolean {
    if (!Number.isSafeInteger(length) || length < 0) return false;
    const end = this.baseAddress + BigInt(this.sizeBytes);
    return addr >= this.baseAddress && addr + BigInt(length) <= end;
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
