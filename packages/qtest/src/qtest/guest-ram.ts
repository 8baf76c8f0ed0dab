/**
 * Guest RAM through a shared memory file. QEMU backs guest RAM with `memory-backend-file,share=on`
 * (a file on tmpfs), so the file's bytes ARE guest RAM: this process reads and writes them with
 * pread/pwrite at the RAM offset instead of moving base64 text over the qtest socket (docs/qtest.md,
 * "Guest memory through a shared file").
 *
 * Guest-physical addresses are not file offsets: on q35/pc, RAM below 4 GiB maps guest 0 to file
 * offset 0 up to the PCI hole, and the rest of RAM continues at 4 GiB. The ranges come from QEMU
 * itself (`info mtree -f`), so no machine's layout is hard-coded here.
 */
import { closeSync, openSync, readSync, writeSync } from "node:fs";
import { GuestMemoryRangeError } from "../errors.js";

/** One stretch of guest-physical addresses that is plain RAM in the backing file. */
export interface RamRange {
  /** First guest-physical address. */
  readonly guestStart: bigint;
  /** One past the last guest-physical address. */
  readonly guestEnd: bigint;
  /** File offset of guestStart. */
  readonly fileOffset: number;
}

/**
 * Below 1 MiB the chipset remaps RAM at run time (SMRAM at 0xa0000, PAM for 0xc0000-0xfffff), so
 * the flat view at start-up is not a promise: that legacy area always goes over the socket.
 */
export const LEGACY_AREA_END = 0x10_0000n;

const FLAT_RANGE = /^\s*([0-9a-f]+)-([0-9a-f]+) \(prio -?\d+, (\w+)\): (\S+)(?: @([0-9a-f]+))?/;

/**
 * The RAM ranges of memory region `regionName` (any RAM region without it) in the first flat view
 * of address space "memory" of `info mtree -f`, sorted, without the legacy area below 1 MiB. Lines
 * of other regions, ROM and MMIO are skipped: they are not in the file, or not plain RAM.
 */
export function parseRamRanges(flatView: string, regionName?: string): RamRange[] {
  const lines = flatView.split(/\r?\n/);
  const start = lines.findIndex((line) => line.includes('AS "memory"'));
  if (start < 0) return [];
  const ranges: RamRange[] = [];
  for (const line of lines.slice(start + 1)) {
    // Several address spaces share one flat view; the next "FlatView #" is another one.
    if (/^FlatView #/.test(line)) break;
    const match = FLAT_RANGE.exec(line);
    if (match?.[3] !== "ram" || (regionName !== undefined && match[4] !== regionName)) continue;
    let guestStart = BigInt(`0x${match[1]}`);
    const guestEnd = BigInt(`0x${match[2]}`) + 1n;
    let fileOffset = match[5] === undefined ? 0n : BigInt(`0x${match[5]}`);
    if (guestEnd <= LEGACY_AREA_END) continue;
    if (guestStart < LEGACY_AREA_END) {
      fileOffset += LEGACY_AREA_END - guestStart;
      guestStart = LEGACY_AREA_END;
    }
    ranges.push({ guestStart, guestEnd, fileOffset: Number(fileOffset) });
  }
  return ranges.sort((a, b) => (a.guestStart < b.guestStart ? -1 : 1));
}

/** One piece of a guest access: either in the file at fileOffset, or not (goes over the socket). */
export interface AccessPiece {
  readonly addr: bigint;
  /** Offset of the piece in the caller's buffer. */
  readonly bufferOffset: number;
  readonly length: number;
  readonly fileOffset: number | undefined;
}

/**
 * Splits [addr, addr+length) at the edges of `ranges`: pieces inside a range carry their file
 * offset, the others (MMIO, ROM, holes, the legacy area) have none.
 */
export function splitAccess(ranges: readonly RamRange[], addr: bigint, length: number): AccessPiece[] {
  const pieces: AccessPiece[] = [];
  const end = addr + BigInt(length);
  let cursor = addr;
  for (const range of ranges) {
    if (cursor >= end) break;
    if (range.guestEnd <= cursor) continue;
    if (range.guestStart >= end) break;
    if (range.guestStart > cursor) {
      pieces.push(piece(addr, cursor, range.guestStart, undefined));
      cursor = range.guestStart;
    }
    const stop = range.guestEnd < end ? range.guestEnd : end;
    pieces.push(piece(addr, cursor, stop, range.fileOffset + Number(cursor - range.guestStart)));
    cursor = stop;
  }
  if (cursor < end) pieces.push(piece(addr, cursor, end, undefined));
  return pieces;
}

function piece(base: bigint, from: bigint, to: bigint, fileOffset: number | undefined): AccessPiece {
  return { addr: from, bufferOffset: Number(from - base), length: Number(to - from), fileOffset };
}

/**
 * Rejects an access that is not wholly inside one RAM range (when the layout is known), naming the field at fault: a negative
 * or non-integer address or length, an access past the end of RAM, or one that straddles a hole.
 */
export function checkRamAccess(
  ranges: readonly RamRange[],
  addr: bigint,
  length: number,
  lengthField = "length",
): void {
  if (typeof addr !== "bigint" || addr < 0n) {
    throw new GuestMemoryRangeError("addr", "must be a non-negative bigint", addr);
  }
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new GuestMemoryRangeError(lengthField, "must be a non-negative integer", length);
  }
  // Without a known layout (QEMU gave no flat view) only the checks above are possible.
  if (ranges.length === 0) return;
  const end = addr + BigInt(length);
  const range = ranges.find((candidate) => candidate.guestStart <= addr && addr < candidate.guestEnd);
  if (!range) {
    throw new GuestMemoryRangeError("addr", `is not guest RAM (RAM: ${describeRanges(ranges)})`, addr);
  }
  if (end > range.guestEnd) {
    const last = ranges[ranges.length - 1] as RamRange;
    const why = range === last ? "runs past the end of guest RAM" : "straddles a hole in guest RAM";
    throw new GuestMemoryRangeError(
      lengthField,
      `${why} at 0x${range.guestEnd.toString(16)} (from 0x${addr.toString(16)})`,
      length,
    );
  }
}

export function describeRanges(ranges: readonly RamRange[]): string {
  if (ranges.length === 0) return "none";
  return ranges
    .map((range) => `0x${range.guestStart.toString(16)}-0x${(range.guestEnd - 1n).toString(16)}`)
    .join(", ");
}

/** Node refuses a single read or write of 2 GiB or more; bigger accesses go in pieces of this. */
const MAX_IO_BYTES = 1 << 30;

/**
 * An open guest-RAM file. pread/pwrite are synchronous: on tmpfs they are a memcpy, cheaper than a
 * trip through the thread pool, and they keep the order of accesses exactly the caller's.
 */
export class SharedGuestRam {
  private fd: number | undefined;

  constructor(
    readonly path: string,
    readonly ranges: readonly RamRange[],
  ) {
    this.fd = openSync(path, "r+");
  }

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /** Reads `length` bytes at `fileOffset` into `into` at `intoOffset`. */
  readInto(fileOffset: number, into: Uint8Array, intoOffset: number, length: number): void {
    const fd = this.openFd();
    let done = 0;
    while (done < length) {
      const got = readSync(
        fd,
        into,
        intoOffset + done,
        Math.min(length - done, MAX_IO_BYTES),
        fileOffset + done,
      );
      if (got === 0)
        throw new GuestMemoryRangeError("fileOffset", "reads past the end of the RAM file", fileOffset);
      done += got;
    }
  }

  write(fileOffset: number, data: Uint8Array): void {
    const fd = this.openFd();
    let done = 0;
    while (done < data.length) {
      done += writeSync(fd, data, done, Math.min(data.length - done, MAX_IO_BYTES), fileOffset + done);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }

  private openFd(): number {
    if (this.fd === undefined) throw new GuestMemoryRangeError("ram", "the RAM file is closed", this.path);
    return this.fd;
  }
}
