/**
 * Typed vfio-user messages and their decoding from one framed message. Every field the client
 * sends is checked here (sizes, argsz, counts); range checks against the device (regions, DMA maps)
 * happen where the device is known.
 */
import { badMessage } from "../errors.js";
import { Command, type DmaLayout, Errno, HEADER_BYTES, Layout, Limits, MessageFlag } from "./constants.js";
import { BufferReader } from "./reader.js";

export interface MessageHeader {
  readonly id: number;
  readonly command: number;
  /** The whole message, header included. */
  readonly size: number;
  readonly flags: number;
  readonly error: number;
}

/** One framed message as it came off the socket, with the fds that arrived with it. */
export interface RawMessage {
  readonly header: MessageHeader;
  /** The whole message, header included. */
  readonly bytes: Buffer;
  readonly fds: readonly number[];
}

export function isReply(header: MessageHeader): boolean {
  return (header.flags & MessageFlag.TypeMask) === MessageFlag.Reply;
}
export function wantsReply(header: MessageHeader): boolean {
  return (header.flags & MessageFlag.NoReply) === 0;
}

export function decodeHeader(bytes: Buffer): MessageHeader {
  return {
    id: bytes.readUInt16LE(0),
    command: bytes.readUInt16LE(2),
    size: bytes.readUInt32LE(4),
    flags: bytes.readUInt32LE(8),
    error: bytes.readUInt32LE(12),
  };
}

export type ClientRequest =
  | { kind: "version"; major: number; minor: number; json: string }
  | { kind: "dmaMap"; flags: number; offset: bigint; iova: bigint; size: bigint }
  | { kind: "dmaUnmap"; flags: number; iova: bigint; size: bigint }
  | { kind: "deviceGetInfo"; argsz: number }
  | { kind: "getRegionInfo"; argsz: number; index: number }
  | { kind: "getIrqInfo"; argsz: number; index: number }
  | { kind: "setIrqs"; flags: number; index: number; start: number; count: number; data: Buffer }
  | { kind: "regionRead"; offset: bigint; region: number; count: number }
  | { kind: "regionWrite"; offset: bigint; region: number; count: number; data: Buffer }
  | { kind: "deviceReset" };

const DMA_MAP_BYTES = HEADER_BYTES + 32;
const DMA_UNMAP_BYTES = HEADER_BYTES + 24;
const SET_IRQS_FIXED_BYTES = HEADER_BYTES + 20;

function exactly(raw: RawMessage, bytes: number, what: string): void {
  if (raw.bytes.length < bytes)
    throw badMessage(Errno.EINVAL, `${what}: ${raw.bytes.length} bytes, need ${bytes}`);
}

/** Decodes a client request; throws VfioUserProtocolError (with the errno to reply) for bad ones. */
export function decodeRequest(raw: RawMessage): ClientRequest {
  const r = new BufferReader(raw.bytes, `command ${raw.header.command}`);
  switch (raw.header.command) {
    case Command.Version: {
      exactly(raw, HEADER_BYTES + 4, "VERSION");
      const jsonBytes = raw.bytes.subarray(HEADER_BYTES + 4);
      if (jsonBytes.length > Limits.maxVersionJsonBytes)
        throw badMessage(Errno.E2BIG, "VERSION: JSON too long");
      const nul = jsonBytes.indexOf(0);
      const json = (nul < 0 ? jsonBytes : jsonBytes.subarray(0, nul)).toString("utf8");
      return { kind: "version", major: r.u16(16), minor: r.u16(18), json };
    }
    case Command.DmaMap:
      exactly(raw, DMA_MAP_BYTES, "DMA_MAP");
      return { kind: "dmaMap", flags: r.u32(20), offset: r.u64(24), iova: r.u64(32), size: r.u64(40) };
    case Command.DmaUnmap:
      exactly(raw, DMA_UNMAP_BYTES, "DMA_UNMAP");
      return { kind: "dmaUnmap", flags: r.u32(20), iova: r.u64(24), size: r.u64(32) };
    case Command.DeviceGetInfo:
      exactly(raw, HEADER_BYTES + 16, "DEVICE_GET_INFO");
      return { kind: "deviceGetInfo", argsz: r.u32(16) };
    case Command.DeviceGetRegionInfo:
      exactly(raw, HEADER_BYTES + 32, "GET_REGION_INFO");
      return { kind: "getRegionInfo", argsz: r.u32(16), index: r.u32(24) };
    case Command.DeviceGetIrqInfo:
      exactly(raw, HEADER_BYTES + 16, "GET_IRQ_INFO");
      return { kind: "getIrqInfo", argsz: r.u32(16), index: r.u32(24) };
    case Command.DeviceSetIrqs:
      exactly(raw, SET_IRQS_FIXED_BYTES, "SET_IRQS");
      return {
        kind: "setIrqs",
        flags: r.u32(20),
        index: r.u32(24),
        start: r.u32(28),
        count: r.u32(32),
        data: raw.bytes.subarray(SET_IRQS_FIXED_BYTES),
      };
    case Command.RegionRead:
      exactly(raw, Layout.regionData, "REGION_READ");
      return { kind: "regionRead", offset: r.u64(16), region: r.u32(24), count: r.u32(28) };
    case Command.RegionWrite: {
      exactly(raw, Layout.regionData, "REGION_WRITE");
      const count = r.u32(28);
      if (count > Limits.maxDataXferBytes) throw badMessage(Errno.E2BIG, "REGION_WRITE: count too large");
      if (raw.bytes.length !== Layout.regionData + count)
        throw badMessage(Errno.EINVAL, "REGION_WRITE: size does not match count");
      return { kind: "regionWrite", offset: r.u64(16), region: r.u32(24), count, data: r.slice(32, count) };
    }
    case Command.DeviceReset:
      return { kind: "deviceReset" };
    default:
      throw badMessage(Errno.ENOSYS, `command ${raw.header.command} is not served`);
  }
}

/** The reply to a DMA_READ the server sent: the data, wherever the layout puts it. */
export function decodeDmaReadReply(raw: RawMessage, layout: DmaLayout, expectedCount: number): Buffer {
  const dataAt = layout === "qemu" ? Layout.dmaDataQemu : Layout.dmaDataSpec;
  if (raw.bytes.length < dataAt + expectedCount)
    throw badMessage(Errno.EINVAL, `DMA_READ reply: ${raw.bytes.length} bytes for ${expectedCount} of data`);
  return raw.bytes.subarray(dataAt, dataAt + expectedCount);
}
