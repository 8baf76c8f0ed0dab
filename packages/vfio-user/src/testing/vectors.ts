/**
 * Byte vectors as QEMU 10.2.2's vfio-user client sends and expects them (docs/vfio-user.md, "Wire
 * format"), built field by field so a reader can check each offset against the layout tables.
 * Tests feed these to the server raw and compare the replies byte for byte.
 */
import { Command, HEADER_BYTES, MessageFlag } from "../protocol/constants.js";

/** The JSON QEMU 10.2.2 sends in VERSION (proxy.c caps_json), NUL-terminated on the wire. */
export const QEMU_VERSION_JSON =
  '{"capabilities":{"migration":{"pgsize":4096,"max_bitmap_size":268435456},"max_msg_fds":16,' +
  '"max_data_xfer_size":1048576,"pgsizes":4096,"max_dma_maps":65535,"write_multiple":true}}';

/** A message: 16-byte header (id, command, size, flags, error) then `payload`. */
export function message(
  id: number,
  command: number,
  payload: Uint8Array | number[] = [],
  flags = 0,
  error = 0,
): Buffer {
  const body = Buffer.from(payload);
  const out = Buffer.alloc(HEADER_BYTES + body.length);
  out.writeUInt16LE(id, 0);
  out.writeUInt16LE(command, 2);
  out.writeUInt32LE(out.length, 4);
  out.writeUInt32LE(flags, 8);
  out.writeUInt32LE(error, 12);
  body.copy(out, HEADER_BYTES);
  return out;
}

/** Little-endian field builders for payloads. */
export const le = {
  u16: (value: number) => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(value);
    return b;
  },
  u32: (value: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    return b;
  },
  u64: (value: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt.asUintN(64, value));
    return b;
  },
};

export function versionRequest(id: number, json = QEMU_VERSION_JSON, major = 0, minor = 0): Buffer {
  return message(
    id,
    Command.Version,
    Buffer.concat([le.u16(major), le.u16(minor), Buffer.from(`${json}\0`)]),
  );
}

export function dmaMapRequest(id: number, iova: bigint, size: bigint, flags = 3, offset = 0n): Buffer {
  return message(
    id,
    Command.DmaMap,
    Buffer.concat([le.u32(32), le.u32(flags), le.u64(offset), le.u64(iova), le.u64(size)]),
  );
}

export function dmaUnmapRequest(id: number, iova: bigint, size: bigint, flags = 0): Buffer {
  return message(
    id,
    Command.DmaUnmap,
    Buffer.concat([le.u32(24), le.u32(flags), le.u64(iova), le.u64(size)]),
  );
}

export function getInfoRequest(id: number): Buffer {
  return message(id, Command.DeviceGetInfo, Buffer.concat([le.u32(16), Buffer.alloc(12)]));
}

export function regionInfoRequest(id: number, index: number, argsz = 32): Buffer {
  return message(
    id,
    Command.DeviceGetRegionInfo,
    Buffer.concat([le.u32(argsz), le.u32(0), le.u32(index), Buffer.alloc(20)]),
  );
}

export function irqInfoRequest(id: number, index: number): Buffer {
  return message(
    id,
    Command.DeviceGetIrqInfo,
    Buffer.concat([le.u32(16), le.u32(0), le.u32(index), le.u32(0)]),
  );
}

/** SET_IRQS as QEMU sends it: argsz 20 even when eventfds follow as SCM_RIGHTS. */
export function setIrqsRequest(
  id: number,
  flags: number,
  index: number,
  start: number,
  count: number,
): Buffer {
  return message(
    id,
    Command.DeviceSetIrqs,
    Buffer.concat([le.u32(20), le.u32(flags), le.u32(index), le.u32(start), le.u32(count)]),
  );
}

export function regionReadRequest(id: number, region: number, offset: bigint, count: number): Buffer {
  return message(id, Command.RegionRead, Buffer.concat([le.u64(offset), le.u32(region), le.u32(count)]));
}

export function regionWriteRequest(
  id: number,
  region: number,
  offset: bigint,
  data: Uint8Array,
  noReply = false,
): Buffer {
  return message(
    id,
    Command.RegionWrite,
    Buffer.concat([le.u64(offset), le.u32(region), le.u32(data.length), Buffer.from(data)]),
    noReply ? MessageFlag.NoReply : 0,
  );
}

export function deviceResetRequest(id: number): Buffer {
  return message(id, Command.DeviceReset);
}

/** QEMU's DMA_READ reply: 32 + count bytes, address @16, count @24, data @28, 4 pad bytes. */
export function qemuDmaReadReply(id: number, address: bigint, data: Uint8Array): Buffer {
  const payload = Buffer.concat([le.u64(address), le.u32(data.length), Buffer.from(data), Buffer.alloc(4)]);
  return message(id, Command.DmaRead, payload, MessageFlag.Reply);
}

/** QEMU's DMA_WRITE reply: the header only. */
export function qemuDmaWriteReply(id: number): Buffer {
  return message(id, Command.DmaWrite, [], MessageFlag.Reply);
}
