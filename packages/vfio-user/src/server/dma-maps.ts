/**
 * The client's DMA maps and the controller's HostMemory over them. A map with an fd (guest RAM in
 * a shared memfd) is read and written with pread/pwrite; a map without one goes through DMA_READ /
 * DMA_WRITE messages. Every access is checked against the maps: an address outside them, or a
 * write to a read-only map (ROM), is a DmaError, which the controller turns into an NVMe status.
 */
import { fstatSync, readSync, writeSync } from "node:fs";
import { DmaError, type HostMemory } from "@bplab/controller";
import { badMessage } from "../errors.js";
import { DmaMapFlag, Errno, Limits } from "../protocol/constants.js";
import { closeQuietly } from "./transport.js";

const U64_LIMIT = 1n << 64n;

export interface DmaMap {
  readonly iova: bigint;
  readonly size: bigint;
  readonly flags: number;
  /** The guest-memory fd and the map's offset in it, or undefined for message DMA. */
  readonly fd: number | undefined;
  readonly fileOffset: bigint;
}

/** How DMA without an fd reaches guest memory: a DMA_READ / DMA_WRITE round trip. */
export interface MessageDma {
  read(address: bigint, length: number): Uint8Array;
  write(address: bigint, data: Uint8Array): void;
  /** The largest count one message may carry. */
  readonly maxChunkBytes: number;
}

export class DmaMapTable {
  private maps: DmaMap[] = [];

  constructor(private readonly maxMaps: number = Limits.maxDmaMaps) {}

  get size(): number {
    return this.maps.length;
  }

  list(): readonly DmaMap[] {
    return this.maps;
  }

  /** Adds a map; takes ownership of `fd` (closed here if the map is refused). */
  add(iova: bigint, size: bigint, flags: number, fd: number | undefined, fileOffset: bigint): void {
    try {
      if (size === 0n || iova + size > U64_LIMIT)
        throw badMessage(Errno.EINVAL, "DMA_MAP: empty or wrapping range");
      if (flags & ~(DmaMapFlag.Read | DmaMapFlag.Write))
        throw badMessage(Errno.EINVAL, "DMA_MAP: unknown flags");
      if (this.maps.length >= this.maxMaps) throw badMessage(Errno.ENOSPC, "DMA_MAP: too many maps");
      if (this.maps.some((map) => iova < map.iova + map.size && map.iova < iova + size))
        throw badMessage(Errno.EINVAL, "DMA_MAP: overlaps an existing map");
      if (fd !== undefined) {
        const fileBytes = BigInt(fstatSync(fd).size);
        if (fileOffset + size > fileBytes)
          throw badMessage(Errno.EINVAL, "DMA_MAP: beyond the end of the fd");
      }
    } catch (error) {
      if (fd !== undefined) closeQuietly(fd);
      throw error;
    }
    this.maps.push({ iova, size, flags, fd, fileOffset });
    this.maps.sort((a, b) => (a.iova < b.iova ? -1 : a.iova > b.iova ? 1 : 0));
  }

  /** Removes the map that is exactly [iova, iova+size). */
  remove(iova: bigint, size: bigint): void {
    const index = this.maps.findIndex((map) => map.iova === iova && map.size === size);
    if (index < 0) throw badMessage(Errno.EINVAL, "DMA_UNMAP: no such map");
    const [map] = this.maps.splice(index, 1);
    if (map?.fd !== undefined) closeQuietly(map.fd);
  }

  clear(): void {
    for (const map of this.maps) if (map.fd !== undefined) closeQuietly(map.fd);
    this.maps = [];
  }

  /** The maps that cover [address, address+length) in order, or undefined if a byte is unmapped. */
  private cover(
    address: bigint,
    length: number,
  ): Array<{ map: DmaMap; at: bigint; bytes: number }> | undefined {
    const pieces: Array<{ map: DmaMap; at: bigint; bytes: number }> = [];
    let at = address;
    let left = BigInt(length);
    while (left > 0n) {
      const map = this.maps.find((candidate) => at >= candidate.iova && at < candidate.iova + candidate.size);
      if (!map) return undefined;
      const bytes = left < map.iova + map.size - at ? left : map.iova + map.size - at;
      pieces.push({ map, at, bytes: Number(bytes) });
      at += bytes;
      left -= bytes;
    }
    return pieces;
  }

  /** The controller's view: fds when the map has one, messages otherwise. */
  hostMemory(messages: () => MessageDma | undefined): HostMemory {
    return {
      read: (address, length) => {
        const out = new Uint8Array(length);
        let done = 0;
        for (const piece of this.piecesOrThrow(address, length, DmaMapFlag.Read)) {
          const into = out.subarray(done, done + piece.bytes);
          if (piece.map.fd !== undefined)
            readExactly(piece.map.fd, into, piece.map.fileOffset + piece.at - piece.map.iova);
          else
            into.set(
              chunked(messages, piece.at, piece.bytes, address, (dma, at, bytes) => dma.read(at, bytes)),
            );
          done += piece.bytes;
        }
        return out;
      },
      write: (address, data) => {
        let done = 0;
        for (const piece of this.piecesOrThrow(address, data.length, DmaMapFlag.Write)) {
          const from = data.subarray(done, done + piece.bytes);
          if (piece.map.fd !== undefined)
            writeExactly(piece.map.fd, from, piece.map.fileOffset + piece.at - piece.map.iova);
          else
            chunked(messages, piece.at, piece.bytes, address, (dma, at, bytes, offset) => {
              dma.write(at, from.subarray(offset, offset + bytes));
              return new Uint8Array(0);
            });
          done += piece.bytes;
        }
      },
    };
  }

  private piecesOrThrow(address: bigint, length: number, needed: number) {
    if (address < 0n || address + BigInt(length) > U64_LIMIT) throw new DmaError(address, length, "wraps");
    const pieces = this.cover(address, length);
    if (!pieces) throw new DmaError(address, length, "outside the client's DMA maps");
    if (pieces.some((piece) => (piece.map.flags & needed) === 0))
      throw new DmaError(address, length, needed === DmaMapFlag.Write ? "read-only map" : "write-only map");
    return pieces;
  }
}

/** Splits one message-DMA piece into chunks the client accepts. */
function chunked(
  messages: () => MessageDma | undefined,
  at: bigint,
  bytes: number,
  requested: bigint,
  step: (dma: MessageDma, at: bigint, bytes: number, offset: number) => Uint8Array,
): Uint8Array {
  const dma = messages();
  if (!dma) throw new DmaError(requested, bytes, "no client connected");
  const out = new Uint8Array(bytes);
  for (let offset = 0; offset < bytes; offset += dma.maxChunkBytes) {
    const size = Math.min(dma.maxChunkBytes, bytes - offset);
    const got = step(dma, at + BigInt(offset), size, offset);
    if (got.length) out.set(got, offset);
  }
  return out;
}

function readExactly(fd: number, into: Uint8Array, position: bigint): void {
  let done = 0;
  while (done < into.length) {
    const got = readSync(fd, into, done, into.length - done, Number(position) + done);
    if (got === 0) throw new DmaError(position, into.length, "guest memory fd ended");
    done += got;
  }
}

function writeExactly(fd: number, from: Uint8Array, position: bigint): void {
  let done = 0;
  while (done < from.length) done += writeSync(fd, from, done, from.length - done, Number(position) + done);
}
