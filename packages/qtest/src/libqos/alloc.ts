/**
 * A guest-physical memory allocator for queues and buffers: first fit over a free list, holes
 * coalesced on free. Pure bookkeeping (no qtest traffic), so it is unit tested on its own.
 */
import { GuestOutOfMemoryError, InvalidArgumentError } from "../errors.js";

/** Below 1 MiB sit the real-mode IVT, BIOS data and the VGA/ROM holes: never hand it out. */
export const GUEST_ALLOC_START = 0x10_0000n;
export const DEFAULT_ALLOC_ALIGN = 4096;

export interface GuestAllocation {
  readonly address: bigint;
  readonly size: number;
}

interface Hole {
  start: bigint;
  end: bigint;
}

export class GuestAllocator {
  private holes: Hole[];
  private readonly used = new Map<bigint, number>();

  constructor(
    readonly start: bigint,
    readonly end: bigint,
  ) {
    if (typeof start !== "bigint" || start < 0n)
      throw new InvalidArgumentError("start", "must be a bigint >= 0", start);
    if (typeof end !== "bigint" || end <= start)
      throw new InvalidArgumentError("end", "must be a bigint > start", end);
    this.holes = [{ start, end }];
  }

  /** `size` bytes, physically contiguous, at an address that is a multiple of `align`. */
  alloc(size: number, align = DEFAULT_ALLOC_ALIGN): bigint {
    if (!Number.isSafeInteger(size) || size < 1)
      throw new InvalidArgumentError("size", "must be a positive integer", size);
    if (!Number.isSafeInteger(align) || align < 1 || (align & (align - 1)) !== 0) {
      throw new InvalidArgumentError("align", "must be a power of two", align);
    }
    const bigSize = BigInt(size);
    const bigAlign = BigInt(align);
    for (const [index, hole] of this.holes.entries()) {
      const address = ((hole.start + bigAlign - 1n) / bigAlign) * bigAlign;
      if (address + bigSize > hole.end) continue;
      const pieces: Hole[] = [];
      if (address > hole.start) pieces.push({ start: hole.start, end: address });
      if (address + bigSize < hole.end) pieces.push({ start: address + bigSize, end: hole.end });
      this.holes.splice(index, 1, ...pieces);
      this.used.set(address, size);
      return address;
    }
    throw new GuestOutOfMemoryError(size, align, Number(this.freeBytes));
  }

  /** Returns an allocation; `address` must be one that alloc() returned and not yet freed. */
  free(address: bigint): void {
    const size = this.used.get(address);
    if (size === undefined) {
      throw new InvalidArgumentError(
        "address",
        "must be an address returned by alloc() and not freed",
        address,
      );
    }
    this.used.delete(address);
    const freed: Hole = { start: address, end: address + BigInt(size) };
    const at = this.holes.findIndex((hole) => hole.start > freed.start);
    this.holes.splice(at === -1 ? this.holes.length : at, 0, freed);
    this.coalesce();
  }

  /** Live allocations in address order. */
  allocations(): GuestAllocation[] {
    return [...this.used.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([address, size]) => ({ address, size }));
  }

  get freeBytes(): bigint {
    return this.holes.reduce((sum, hole) => sum + (hole.end - hole.start), 0n);
  }

  /** Forgets every allocation. */
  reset(): void {
    this.used.clear();
    this.holes = [{ start: this.start, end: this.end }];
  }

  private coalesce(): void {
    const merged: Hole[] = [];
    for (const hole of this.holes) {
      const last = merged[merged.length - 1];
      if (last && last.end === hole.start) last.end = hole.end;
      else merged.push({ ...hole });
    }
    this.holes = merged;
  }
}

const MEMORY_SIZE = /^(\d+)([KMGT]?)i?B?$/i;
const MEMORY_UNIT_SHIFT: Record<string, bigint> = { K: 10n, M: 20n, G: 30n, T: 40n };

/** QEMU's `-m` syntax ("128M", "1G", a bare number of MiB) → bytes. */
export function parseQemuMemorySize(text: string): bigint {
  const match = MEMORY_SIZE.exec(text.trim());
  if (!match)
    throw new InvalidArgumentError("memory", 'must look like "128M", "1G" or a number of MiB', text);
  const unit = (match[2] || "M").toUpperCase();
  return BigInt(match[1] as string) << (MEMORY_UNIT_SHIFT[unit] as bigint);
}
