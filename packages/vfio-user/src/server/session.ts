/**
 * One connected client (QEMU's vfio-user-pci device). Requests are answered in arrival order and
 * at once; DMA requests the server sends wait for their replies synchronously, serving whatever
 * the client sends meanwhile (docs/vfio-user.md, "Ordering"):
 * - a NO_REPLY request never gets a reply;
 * - a REGION reply goes out before any DMA it causes (device work runs on a later turn);
 * - a CQE or BRS is written only after the DMA_WRITE replies for its data arrived.
 */
import { DmaError } from "@bplab/controller";
import { badMessage, VfioUserProtocolError } from "../errors.js";
import type { NvmePciFunction } from "../pci/nvme-function.js";
import {
  Command,
  DeviceFlag,
  type DmaLayout,
  DmaUnmapFlag,
  Errno,
  IrqIndex,
  IrqInfoFlag,
  Limits,
  MessageFlag,
  RegionFlag,
} from "../protocol/constants.js";
import {
  type ClientRequest,
  decodeDmaReadReply,
  decodeRequest,
  isReply,
  type RawMessage,
  wantsReply,
} from "../protocol/messages.js";
import { MessageParser } from "../protocol/parser.js";
import * as wire from "../protocol/serializer.js";
import type { DmaMapTable, MessageDma } from "./dma-maps.js";
import type { MsixEventfds } from "./interrupts.js";
import { type Connection, closeQuietly, readSome, writeAll } from "./transport.js";

/** Regions and IRQ types announced in DEVICE_GET_INFO (QEMU wants at least 8 and 3). */
const NUM_REGIONS = 9;
const NUM_IRQS = 5;
const READ_CHUNK_BYTES = 64 * 1024;
/** Accesses to BAR0 are register accesses: 1, 2, 4 or 8 bytes, or a larger aligned block. */
const SERVER_CAPABILITIES = JSON.stringify({
  capabilities: { max_msg_fds: Limits.maxMsgFds, max_data_xfer_size: Limits.maxDataXferBytes },
});

export interface SessionStats {
  requests: number;
  errorReplies: number;
  dmaMessages: number;
}

/** What a session needs from the device it serves. */
export interface SessionHost {
  readonly pci: NvmePciFunction;
  readonly maps: DmaMapTable;
  readonly irqs: MsixEventfds;
  regionWrite(region: number, offset: number, data: Uint8Array): void;
  deviceReset(): void;
  sessionEnded(session: ClientSession): void;
  log(line: string): void;
}

export class ClientSession implements MessageDma {
  private readonly parser = new MessageParser();
  private readonly replies = new Map<number, RawMessage>();
  private readonly waiting = new Set<number>();
  private readonly readBuffer = Buffer.alloc(READ_CHUNK_BYTES);
  private negotiated = false;
  private nextRequestId = 0;
  private closed = false;
  maxChunkBytes: number = Limits.maxDataXferBytes;
  readonly stats: SessionStats = { requests: 0, errorReplies: 0, dmaMessages: 0 };

  constructor(
    private readonly connection: Connection,
    private readonly host: SessionHost,
    private readonly layout: DmaLayout,
    /** How long a DMA request may wait for its reply (0: forever). QEMU answers in microseconds. */
    private readonly dmaReplyTimeoutMs: number,
  ) {
    connection.onData((chunk, fds) => this.receive(chunk, fds));
    connection.onClose(() => this.end());
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Ends the session: fds held for incomplete messages are closed; the host keeps the device. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.parser.takeUnclaimedFds()) closeQuietly(fd);
    this.connection.close();
    this.host.sessionEnded(this);
  }

  private receive(chunk: Buffer, fds: readonly number[]): void {
    if (this.closed) {
      for (const fd of fds) closeQuietly(fd);
      return;
    }
    let messages: RawMessage[];
    try {
      messages = this.parser.push(chunk, fds);
    } catch (error) {
      // A header that lies about its size: the rest of the stream cannot be framed.
      this.host.log(`vfio-user: disconnecting the client: ${(error as Error).message}`);
      this.end();
      return;
    }
    for (const message of messages) {
      if (this.closed) {
        for (const fd of message.fds) closeQuietly(fd);
        continue;
      }
      this.dispatch(message);
    }
  }

  private dispatch(message: RawMessage): void {
    if (isReply(message.header)) {
      for (const fd of message.fds) closeQuietly(fd);
      if (this.waiting.has(message.header.id)) this.replies.set(message.header.id, message);
      // A reply nobody waits for is dropped: it cannot change anything.
      return;
    }
    this.stats.requests += 1;
    const fds = [...message.fds];
    try {
      const out = this.serve(decodeRequest(message), message, fds);
      if (wantsReply(message.header)) this.send(out);
    } catch (error) {
      if (!(error instanceof VfioUserProtocolError)) throw error;
      this.stats.errorReplies += 1;
      if (wantsReply(message.header))
        this.send(wire.errorReply(message.header.id, message.header.command, error.errno));
    } finally {
      for (const fd of fds) closeQuietly(fd);
    }
  }

  private send(bytes: Buffer): void {
    if (this.closed) return;
    try {
      writeAll(this.connection.fd, bytes);
    } catch {
      this.end();
    }
  }

  /** Serves one request; `fds` holds the fds not yet taken (the caller closes what is left). */
  private serve(request: ClientRequest, message: RawMessage, fds: number[]): Buffer {
    const { id } = message.header;
    if (request.kind !== "version" && !this.negotiated)
      throw badMessage(Errno.EINVAL, "VERSION must come first");
    if (fds.length && request.kind !== "dmaMap" && request.kind !== "setIrqs")
      throw badMessage(Errno.EINVAL, "fds on a request that takes none");
    switch (request.kind) {
      case "version":
        return this.version(id, request, message.bytes.length);
      case "dmaMap": {
        if (fds.length > 1) throw badMessage(Errno.EINVAL, "DMA_MAP: more than one fd");
        const fd = fds.shift();
        this.host.maps.add(request.iova, request.size, request.flags, fd, request.offset);
        return wire.reply(id, Command.DmaMap);
      }
      case "dmaUnmap":
        if (request.flags & DmaUnmapFlag.UnmapAll) {
          if (request.flags !== DmaUnmapFlag.UnmapAll || request.iova !== 0n || request.size !== 0n)
            throw badMessage(Errno.EINVAL, "DMA_UNMAP: UNMAP_ALL with a range");
          this.host.maps.clear();
        } else if (request.flags !== 0) throw badMessage(Errno.EINVAL, "DMA_UNMAP: unknown flags");
        else this.host.maps.remove(request.iova, request.size);
        return wire.reply(id, Command.DmaUnmap);
      case "deviceGetInfo":
        if (request.argsz < 16) throw badMessage(Errno.EINVAL, "DEVICE_GET_INFO: argsz");
        return wire.deviceInfoReply(id, DeviceFlag.Reset | DeviceFlag.Pci, NUM_REGIONS, NUM_IRQS);
      case "getRegionInfo": {
        if (request.argsz < 32 || request.index >= NUM_REGIONS)
          throw badMessage(Errno.EINVAL, "GET_REGION_INFO: argsz or index");
        const size = this.host.pci.regionBytes(request.index);
        const flags = size ? RegionFlag.Read | RegionFlag.Write : 0;
        return wire.regionInfoReply(id, request.index, flags, BigInt(size));
      }
      case "getIrqInfo": {
        if (request.argsz < 16 || request.index >= NUM_IRQS)
          throw badMessage(Errno.EINVAL, "GET_IRQ_INFO: index");
        const msix = request.index === IrqIndex.Msix;
        const count = msix ? this.host.irqs.vectors : 0;
        return wire.irqInfoReply(
          id,
          request.index,
          msix ? IrqInfoFlag.Eventfd | IrqInfoFlag.NoResize : 0,
          count,
        );
      }
      case "setIrqs":
        this.host.irqs.set(request, fds);
        return wire.reply(id, Command.DeviceSetIrqs);
      case "regionRead": {
        const offset = this.checkRegion(request.region, request.offset, request.count);
        return wire.regionReadReply(
          id,
          request.offset,
          request.region,
          this.host.pci.read(request.region, offset, request.count),
        );
      }
      case "regionWrite": {
        const offset = this.checkRegion(request.region, request.offset, request.count);
        this.host.regionWrite(request.region, offset, request.data);
        return wire.regionWriteReply(id, request.offset, request.region, request.count);
      }
      case "deviceReset":
        this.host.deviceReset();
        return wire.reply(id, Command.DeviceReset);
    }
  }

  private version(
    id: number,
    request: Extract<ClientRequest, { kind: "version" }>,
    requestBytes: number,
  ): Buffer {
    if (this.negotiated) throw badMessage(Errno.EINVAL, "VERSION twice");
    if (request.major !== 0) throw badMessage(Errno.ENOTSUP, "VERSION: major must be 0");
    let parsed: unknown;
    try {
      parsed = JSON.parse(request.json);
    } catch {
      throw badMessage(Errno.EINVAL, "VERSION: the capabilities are not JSON");
    }
    if (typeof parsed !== "object" || parsed === null)
      throw badMessage(Errno.EINVAL, "VERSION: not a JSON object");
    const xfer = (parsed as { capabilities?: { max_data_xfer_size?: unknown } }).capabilities
      ?.max_data_xfer_size;
    if (typeof xfer === "number" && Number.isSafeInteger(xfer) && xfer >= 4)
      this.maxChunkBytes = Math.min(Limits.maxDataXferBytes, xfer);
    this.negotiated = true;
    // QEMU refuses a reply longer than its request: fall back to "{}" for a short request.
    const full = wire.versionReply(id, SERVER_CAPABILITIES);
    return full.length <= requestBytes ? full : wire.versionReply(id, "{}");
  }

  /** Checks region, offset and count against the region; returns the offset as a number. */
  private checkRegion(region: number, offset: bigint, count: number): number {
    const size = this.host.pci.regionBytes(region);
    if (size === 0) throw badMessage(Errno.EINVAL, "no such region");
    if (count === 0 || count > Limits.maxDataXferBytes) throw badMessage(Errno.EINVAL, "bad count");
    if (offset >= BigInt(size) || offset + BigInt(count) > BigInt(size))
      throw badMessage(Errno.EINVAL, "access outside the region");
    return Number(offset);
  }

  // ---- DMA messages (server → client), for maps without an fd ----

  read(address: bigint, length: number): Uint8Array {
    const reply = this.roundTrip(
      wire.dmaReadRequest(this.allocateId(), address, length, this.layout),
      address,
      length,
    );
    try {
      return Uint8Array.from(decodeDmaReadReply(reply, this.layout, length));
    } catch {
      throw new DmaError(address, length, "short DMA_READ reply");
    }
  }

  write(address: bigint, data: Uint8Array): void {
    this.roundTrip(wire.dmaWriteRequest(this.allocateId(), address, data, this.layout), address, data.length);
  }

  private allocateId(): number {
    this.nextRequestId = (this.nextRequestId + 1) & 0xffff;
    return this.nextRequestId;
  }

  /** Sends a DMA request and serves the client until its reply arrives. */
  private roundTrip(request: Buffer, address: bigint, length: number): RawMessage {
    if (this.closed) throw new DmaError(address, length, "the client disconnected");
    const id = request.readUInt16LE(0);
    this.waiting.add(id);
    this.stats.dmaMessages += 1;
    try {
      this.send(request);
      const deadline =
        this.dmaReplyTimeoutMs > 0 ? performance.now() + this.dmaReplyTimeoutMs : Number.POSITIVE_INFINITY;
      while (!this.replies.has(id)) {
        if (this.closed) throw new DmaError(address, length, "the client disconnected");
        let got: number;
        try {
          got = readSome(this.connection.fd, this.readBuffer, deadline);
        } catch {
          got = 0;
        }
        if (got < 0) {
          // A client that stops answering DMA would stall the device forever: drop it.
          this.host.log(
            `vfio-user: no reply to a DMA request in ${this.dmaReplyTimeoutMs} ms: disconnecting the client`,
          );
          this.end();
          throw new DmaError(address, length, "the client did not answer the DMA request");
        }
        if (got === 0) {
          this.end();
          continue;
        }
        // Bytes read here bypass the fd-passing socket: fds sent meanwhile are lost (documented).
        this.receive(Buffer.from(this.readBuffer.subarray(0, got)), []);
      }
      const reply = this.replies.get(id) as RawMessage;
      if (reply.header.flags & MessageFlag.Error)
        throw new DmaError(address, length, `the client refused the DMA (errno ${reply.header.error})`);
      return reply;
    } finally {
      this.waiting.delete(id);
      this.replies.delete(id);
    }
  }
}
