import { Status } from "@bplab/nvme-spec";
import { DmaError, type HostMemory } from "./ports.js";
import { type CommandResult, failure } from "./status.js";

/**
 * Data transfer through Physical Region Page entries (NVMe Base §4.3.1): PRP1 may start inside a
 * page (dword aligned), PRP2 is a second page when the transfer touches at most two pages and
 * otherwise points at a PRP list, whose last entry chains to the next list page.
 */

/** One physically contiguous piece of a host buffer. */
export interface DmaSegment {
  readonly addr: bigint;
  readonly length: number;
}

export type PrpResolution =
  | { readonly ok: true; readonly segments: readonly DmaSegment[] }
  | { readonly ok: false; readonly result: CommandResult };

/** Bytes in one PRP entry (a 64-bit address). */
const PRP_ENTRY_BYTES = 8;
/** PRP entries address dwords: bits 1:0 of every entry are 00b. */
const PRP_DWORD_ALIGN_MASK = 0b11n;
/** A PRP list pointer addresses 8-byte entries, so its offset must be a multiple of 8. */
const PRP_LIST_ALIGN_MASK = BigInt(PRP_ENTRY_BYTES - 1);

export function resolvePrps(
  memory: HostMemory,
  prp1: bigint,
  prp2: bigint,
  length: number,
  pageSize: number,
): PrpResolution {
  if (length === 0) return { ok: true, segments: [] };
  const pageMask = BigInt(pageSize - 1);
  if ((prp1 & PRP_DWORD_ALIGN_MASK) !== 0n) return invalidOffset("PRP1 is not dword aligned");
  const firstLength = Math.min(length, pageSize - Number(prp1 & pageMask));
  const segments: MergingSegment[] = [{ addr: prp1, length: firstLength }];
  let remaining = length - firstLength;
  if (remaining === 0) return { ok: true, segments };
  if (remaining <= pageSize) {
    if ((prp2 & pageMask) !== 0n) return invalidOffset("PRP2 (second page) has a non-zero offset");
    segments.push({ addr: prp2, length: remaining });
    return { ok: true, segments };
  }
  if ((prp2 & PRP_LIST_ALIGN_MASK) !== 0n) return invalidOffset("PRP2 (list pointer) is not qword aligned");

  // Page sizes are at most 2^27 bytes (CC.MPS), so an entry's offset bits are all in its low dword.
  const offsetMask = pageSize - 1;
  let listAddr = prp2;
  let end = endOf(prp1, firstLength);
  while (remaining > 0) {
    const entriesInListPage = (pageSize - Number(listAddr & pageMask)) / PRP_ENTRY_BYTES;
    const pagesLeft = Math.ceil(remaining / pageSize);
    const entriesToRead = Math.min(entriesInListPage, pagesLeft);
    let list: DataView;
    try {
      list = readPrpList(memory, listAddr, entriesToRead);
    } catch (error) {
      if (error instanceof DmaError) return transferError("PRP list is not in mapped host memory");
      throw error;
    }
    const chains = pagesLeft > entriesInListPage;
    const dataEntries = chains ? entriesToRead - 1 : entriesToRead;
    for (let index = 0; index < dataEntries; index++) {
      const low = list.getUint32(index * PRP_ENTRY_BYTES, true);
      const high = list.getUint32(index * PRP_ENTRY_BYTES + 4, true);
      if ((low & offsetMask) !== 0) return invalidOffset(`PRP list entry ${index} has a non-zero offset`);
      const pieceLength = Math.min(pageSize, remaining);
      end = appendPage(segments, end, high, low, pieceLength);
      remaining -= pieceLength;
    }
    if (chains) {
      const next = list.getBigUint64((entriesToRead - 1) * PRP_ENTRY_BYTES, true);
      if ((next & pageMask) !== 0n) return invalidOffset("chained PRP list pointer is not page aligned");
      listAddr = next;
    }
  }
  return { ok: true, segments };
}

/** A segment that list pages adjacent to it still extend. */
interface MergingSegment {
  readonly addr: bigint;
  length: number;
}

const TWO_POW_32 = 2 ** 32;
/** Addresses whose high dword is below 2^21 are below 2^53: exact as numbers. */
const EXACT_HIGH_DWORD_LIMIT = 2 ** 21;

function endOf(addr: bigint, length: number): number {
  return addr < BigInt(Number.MAX_SAFE_INTEGER) - BigInt(length) ? Number(addr) + length : Number.NaN;
}

/** The list entries of one list page, read in place where host memory offers a view. */
function readPrpList(memory: HostMemory, addr: bigint, count: number): DataView {
  const bytes = memory.view?.(addr, count * PRP_ENTRY_BYTES) ?? memory.read(addr, count * PRP_ENTRY_BYTES);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Physically adjacent pages become one segment, so a contiguous buffer is one DMA. `end` is the
 * last segment's end address as a number while that is exact (below 2^53), else NaN: N contiguous
 * pages then cost no bigint arithmetic each (issue 13: a 16 MiB command has 4096 entries).
 * Returns the new `end`.
 */
function appendPage(
  segments: MergingSegment[],
  end: number,
  high: number,
  low: number,
  length: number,
): number {
  if (high >= EXACT_HIGH_DWORD_LIMIT) {
    segments.push({ addr: (BigInt(high) << 32n) | BigInt(low), length });
    return Number.NaN;
  }
  const addr = high * TWO_POW_32 + low;
  if (end === addr) segments[segments.length - 1]!.length += length;
  else segments.push({ addr: BigInt(addr), length });
  return addr + length;
}

function invalidOffset(reason: string): PrpResolution {
  return { ok: false, result: failure(Status.InvalidPrpOffset, reason) };
}

function transferError(reason: string): PrpResolution {
  return { ok: false, result: failure(Status.DataTransferError, reason, { retryable: true }) };
}

/** Reads the whole host buffer; a DmaError becomes Data Transfer Error (0h/04h). */
export function copyFromHost(
  memory: HostMemory,
  segments: readonly DmaSegment[],
): { ok: true; data: Uint8Array } | { ok: false; result: CommandResult } {
  try {
    if (segments.length === 1) return { ok: true, data: memory.read(segments[0]!.addr, segments[0]!.length) };
    const total = segments.reduce((sum, segment) => sum + segment.length, 0);
    const data = new Uint8Array(total);
    let offset = 0;
    for (const segment of segments) {
      data.set(memory.read(segment.addr, segment.length), offset);
      offset += segment.length;
    }
    return { ok: true, data };
  } catch (error) {
    if (error instanceof DmaError) {
      return { ok: false, result: failure(Status.DataTransferError, error.message, { retryable: true }) };
    }
    throw error;
  }
}

/** Fills `into` with the transfer's bytes from `offset` on (a log page, a Boot Partition). */
export interface TransferSource {
  read(offset: number, into: Uint8Array): void;
}

/** Bytes already in memory (an Identify structure, a small log) as a transfer source. */
export function bytesSource(bytes: Uint8Array): TransferSource {
  return { read: (offset, into) => into.set(bytes.subarray(offset, offset + into.length)) };
}

/**
 * Bounce buffer for host memory that offers no `view`: a transfer moves through it in pieces that
 * stay in the CPU cache, instead of through a fresh whole-transfer buffer (whose first touch is a
 * page fault per 4 KiB, the largest cost of a BP read before issue 13). Module-wide is safe: a
 * transfer runs start to end without yielding.
 */
const BOUNCE_BYTES = 256 * 1024;
let bounce: Uint8Array | undefined;

/** `into.length` bytes at `addr`, copied without allocating when the memory can. */
export function readHostInto(memory: HostMemory, addr: bigint, into: Uint8Array): void {
  if (memory.readInto) memory.readInto(addr, into);
  else into.set(memory.read(addr, into.length));
}

/**
 * Moves `length` bytes of `source`, from `sourceOffset` on, to host memory at `addr`: straight
 * into host memory when it offers a view, else through the bounce buffer. Throws DmaError.
 */
export function copySourceToHostRange(
  memory: HostMemory,
  addr: bigint,
  length: number,
  source: TransferSource,
  sourceOffset: number,
): void {
  const view = memory.view?.(addr, length);
  if (view !== undefined) {
    source.read(sourceOffset, view);
    return;
  }
  bounce ??= new Uint8Array(BOUNCE_BYTES);
  for (let done = 0; done < length; done += BOUNCE_BYTES) {
    const piece = bounce.subarray(0, Math.min(BOUNCE_BYTES, length - done));
    source.read(sourceOffset + done, piece);
    memory.write(addr + BigInt(done), piece);
  }
}

/** Controller → host through PRP segments; a DmaError becomes Data Transfer Error (0h/04h). */
export function copySourceToHost(
  memory: HostMemory,
  segments: readonly DmaSegment[],
  source: TransferSource,
): CommandResult | undefined {
  let offset = 0;
  try {
    for (const segment of segments) {
      copySourceToHostRange(memory, segment.addr, segment.length, source, offset);
      offset += segment.length;
    }
  } catch (error) {
    if (error instanceof DmaError)
      return failure(Status.DataTransferError, error.message, { retryable: true });
    throw error;
  }
  return undefined;
}

/**
 * Host → controller: the bytes of every segment, as views of host memory where it offers them,
 * else as copies, one per segment (no whole-transfer buffer). All are read before any is used, so
 * a DmaError (→ 0h/04h) leaves nothing half done.
 */
export function readHostSegments(
  memory: HostMemory,
  segments: readonly DmaSegment[],
): { ok: true; pieces: Uint8Array[] } | { ok: false; result: CommandResult } {
  const pieces: Uint8Array[] = [];
  try {
    for (const segment of segments)
      pieces.push(memory.view?.(segment.addr, segment.length) ?? memory.read(segment.addr, segment.length));
  } catch (error) {
    if (error instanceof DmaError) {
      return { ok: false, result: failure(Status.DataTransferError, error.message, { retryable: true }) };
    }
    throw error;
  }
  return { ok: true, pieces };
}
