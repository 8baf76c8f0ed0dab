/** Builds the messages the server sends: replies, error replies and its DMA requests. */
import { Command, type DmaLayout, HEADER_BYTES, Layout, MessageFlag } from "./constants.js";
import { BufferWriter } from "./writer.js";

function header(w: BufferWriter, id: number, command: number, flags: number, error = 0): BufferWriter {
  return w.u16(0, id).u16(2, command).u32(4, w.bytes.length).u32(8, flags).u32(12, error);
}

/** A reply: the request's id and command, `payload` after the header. */
export function reply(id: number, command: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const w = new BufferWriter(HEADER_BYTES + payload.length);
  return header(w, id, command, MessageFlag.Reply).data(HEADER_BYTES, payload).bytes;
}

/** An error reply: header only, ERROR set, the errno in bytes 12-15. */
export function errorReply(id: number, command: number, errno: number): Buffer {
  return header(new BufferWriter(HEADER_BYTES), id, command, MessageFlag.Reply | MessageFlag.Error, errno)
    .bytes;
}

/**
 * VERSION reply: major 0, minor 0 and a short NUL-terminated JSON. QEMU rejects a reply longer
 * than its request, so the caller keeps the JSON short.
 */
export function versionReply(id: number, json: string): Buffer {
  const text = Buffer.from(`${json}\0`, "utf8");
  const w = new BufferWriter(HEADER_BYTES + 4 + text.length);
  return header(w, id, Command.Version, MessageFlag.Reply).u16(16, 0).u16(18, 0).data(20, text).bytes;
}

/** DEVICE_GET_INFO and GET_IRQ_INFO replies share one shape: argsz 16 and three u32 fields. */
function sixteenByteInfoReply(id: number, command: number, a: number, b: number, c: number): Buffer {
  const w = new BufferWriter(HEADER_BYTES + 16);
  return header(w, id, command, MessageFlag.Reply).u32(16, 16).u32(20, a).u32(24, b).u32(28, c).bytes;
}

export function deviceInfoReply(id: number, flags: number, numRegions: number, numIrqs: number): Buffer {
  return sixteenByteInfoReply(id, Command.DeviceGetInfo, flags, numRegions, numIrqs);
}

export function regionInfoReply(id: number, index: number, flags: number, size: bigint): Buffer {
  const w = new BufferWriter(HEADER_BYTES + 32);
  return header(w, id, Command.DeviceGetRegionInfo, MessageFlag.Reply)
    .u32(16, 32)
    .u32(20, flags)
    .u32(24, index)
    .u32(28, 0)
    .u64(32, size)
    .u64(40, 0n).bytes;
}

export function irqInfoReply(id: number, index: number, flags: number, count: number): Buffer {
  return sixteenByteInfoReply(id, Command.DeviceGetIrqInfo, flags, index, count);
}

export function regionReadReply(id: number, offset: bigint, region: number, data: Uint8Array): Buffer {
  const w = new BufferWriter(Layout.regionData + data.length);
  return header(w, id, Command.RegionRead, MessageFlag.Reply)
    .u64(16, offset)
    .u32(24, region)
    .u32(28, data.length)
    .data(32, data).bytes;
}

export function regionWriteReply(id: number, offset: bigint, region: number, count: number): Buffer {
  const w = new BufferWriter(Layout.regionData);
  return header(w, id, Command.RegionWrite, MessageFlag.Reply).u64(16, offset).u32(24, region).u32(28, count)
    .bytes;
}

/** Where the data starts and how wide the count is in each layout. */
function dmaFields(w: BufferWriter, layout: DmaLayout, count: number): number {
  if (layout === "qemu") {
    w.u32(Layout.dmaCount, count);
    return Layout.dmaDataQemu;
  }
  w.u64(Layout.dmaCount, BigInt(count));
  return Layout.dmaDataSpec;
}

/** DMA_READ request (server → client): 32 bytes, address @16, count @24. */
export function dmaReadRequest(id: number, address: bigint, count: number, layout: DmaLayout): Buffer {
  const w = new BufferWriter(32);
  header(w, id, Command.DmaRead, MessageFlag.Request).u64(Layout.dmaAddress, address);
  dmaFields(w, layout, count);
  return w.bytes;
}

/**
 * DMA_WRITE request: QEMU 10.2.2 takes the data from byte 28 and wants `size = 32 + count` (the
 * last 4 bytes are padding); the spec layout puts a u64 count @24 and the data @32.
 */
export function dmaWriteRequest(id: number, address: bigint, data: Uint8Array, layout: DmaLayout): Buffer {
  const w = new BufferWriter(32 + data.length);
  header(w, id, Command.DmaWrite, MessageFlag.Request).u64(Layout.dmaAddress, address);
  w.data(dmaFields(w, layout, data.length), data);
  return w.bytes;
}
