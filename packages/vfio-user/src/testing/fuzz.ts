/**
 * A protocol fuzzer: it connects to a running server and sends malformed messages (bad sizes,
 * unknown commands, truncated headers, region accesses out of range, DMA maps and DMA outside them,
 * SET_IRQS nonsense, replies nobody asked for, clients that vanish mid-message). Every framed
 * request that wants a reply must get exactly one (success or an errno); a broken frame must end
 * in a clean disconnect. DMA requests from the server are answered (sometimes with an error or a
 * short reply) so the server never waits forever.
 */
import { createConnection, type Socket } from "node:net";
import { Command, MessageFlag } from "../protocol/constants.js";
import { loadFdPassing } from "../server/transport.js";
import {
  dmaMapRequest,
  le,
  message,
  regionReadRequest,
  regionWriteRequest,
  versionRequest,
} from "./vectors.js";

export interface FuzzOptions {
  socketPath: string;
  messages: number;
  seed?: number;
  /** Messages per batch between reply checks. */
  batch?: number;
  onProgress?: (sent: number) => void;
}

export interface FuzzReport {
  messages: number;
  replies: number;
  errorReplies: number;
  disconnects: number;
  /** Requests that wanted a reply and got none, or replies with an unknown id: must be 0. */
  violations: string[];
}

/** xorshift32: reproducible from the seed. */
function rng(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  return {
    int: (below: number) => next() % below,
    pick: <T>(items: readonly T[]) => items[next() % items.length] as T,
    bytes: (length: number) => Buffer.from(Array.from({ length }, () => next() & 0xff)),
    u64: () => (BigInt(next()) << 32n) | BigInt(next()),
  };
}

class FuzzConnection {
  private buffered = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  replies = new Map<number, number>();
  errorReplies = 0;
  closed = false;
  unknownReplies: number[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly random: ReturnType<typeof rng>,
  ) {
    socket.on("data", (chunk) => this.receive(chunk));
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => undefined);
  }

  static open(path: string, random: ReturnType<typeof rng>): Promise<FuzzConnection> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(path, () => resolve(new FuzzConnection(socket, random)));
      socket.once("error", reject);
    });
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  private receive(chunk: Buffer): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 16 && this.buffered.length >= this.buffered.readUInt32LE(4)) {
      const size = this.buffered.readUInt32LE(4);
      const msg = this.buffered.subarray(0, size);
      this.buffered = this.buffered.subarray(size);
      const id = msg.readUInt16LE(0);
      const command = msg.readUInt16LE(2);
      const flags = msg.readUInt32LE(8);
      if ((flags & MessageFlag.TypeMask) === MessageFlag.Request) this.answerDma(id, command, msg);
      else {
        this.replies.set(id, (this.replies.get(id) ?? 0) + 1);
        if (flags & MessageFlag.Error) this.errorReplies += 1;
      }
    }
    this.wake();
  }

  /** The server asked for DMA: answer like QEMU, or with an error, or with a reply too short. */
  private answerDma(id: number, command: number, request: Buffer): void {
    const choice = this.random.int(10);
    if (choice === 0) {
      this.send(message(id, command, [], MessageFlag.Reply | MessageFlag.Error, 14));
      return;
    }
    if (command === Command.DmaRead && choice !== 1) {
      const count = Math.min(request.readUInt32LE(24), 1 << 20);
      this.send(
        message(
          id,
          command,
          Buffer.concat([request.subarray(16, 28), Buffer.alloc(count + 4)]),
          MessageFlag.Reply,
        ),
      );
      return;
    }
    this.send(message(id, command, [], MessageFlag.Reply));
  }

  send(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Waits until a reply with `id` arrived or the server hung up. */
  async waitFor(id: number): Promise<boolean> {
    while (!this.replies.has(id) && !this.closed)
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.replies.has(id);
  }

  close(): void {
    this.socket.destroy();
  }
}

const PROBE_ID = 0xffff;

/** One malformed (or sometimes valid) message; `framed` says whether its size field is honest. */
function malformed(
  random: ReturnType<typeof rng>,
  id: number,
): { bytes: Buffer; framed: boolean; vanish?: boolean } {
  // Frames the server must drop the client for are rarer, so most batches test the replies.
  const kind = random.int(40) < 36 ? random.int(9) : 9 + random.int(3);
  const noReply = random.int(8) === 0 ? MessageFlag.NoReply : 0;
  switch (kind) {
    case 0: // unknown or random command with random payload
      return { bytes: message(id, random.int(0x10000), random.bytes(random.int(64)), noReply), framed: true };
    case 1: // a known command with a random, usually wrong, payload
      return { bytes: message(id, 1 + random.int(15), random.bytes(random.int(80)), noReply), framed: true };
    case 2: // region accesses anywhere
      return {
        bytes: regionReadRequest(
          id,
          random.pick([0, 1, 2, 6, 7, 8, 9, 0xffffffff]),
          random.pick([0n, 0x3ffcn, 0xfffn, random.u64()]),
          random.pick([0, 1, 2, 4, 8, 256, 4097, 0xffffffff]),
        ),
        framed: true,
      };
    case 3: {
      // region writes, BAR0 included (doorbells, CC, BPRSEL: they cause DMA the fuzzer answers)
      const request = regionWriteRequest(
        id,
        random.pick([0, 7, 3]),
        BigInt(random.int(0x4100)),
        random.bytes(random.pick([1, 2, 4, 8, 3])),
        noReply !== 0,
      );
      if (random.int(4) === 0) request.writeUInt32LE(random.int(0x10000), 28); // count lies
      return { bytes: request, framed: true };
    }
    case 4: // DMA maps anywhere, without fds
      return {
        bytes: dmaMapRequest(
          id,
          random.pick([0n, 0x10_0000n, random.u64()]),
          random.pick([0n, 0x1000n, 0x10_0000n, random.u64()]),
          random.int(8),
        ),
        framed: true,
      };
    case 5: // DMA_UNMAP, sometimes everything
      return {
        bytes: message(
          id,
          Command.DmaUnmap,
          Buffer.concat([le.u32(24), le.u32(random.int(4)), le.u64(random.u64()), le.u64(random.u64())]),
        ),
        framed: true,
      };
    case 6: // SET_IRQS nonsense
      return {
        bytes: message(
          id,
          Command.DeviceSetIrqs,
          Buffer.concat([
            le.u32(20),
            le.u32(random.int(64)),
            le.u32(random.int(6)),
            le.u32(random.int(16)),
            le.u32(random.int(0x10000)),
          ]),
        ),
        framed: true,
      };
    case 7: // a reply nobody asked for
      return {
        bytes: message(
          id,
          random.pick([Command.DmaRead, Command.DmaWrite, 5]),
          random.bytes(random.int(40)),
          MessageFlag.Reply,
        ),
        framed: true,
      };
    case 8: // a second VERSION, or a broken one
      return {
        bytes: versionRequest(
          id,
          random.pick(["{}", "[]", "{", "null", '{"capabilities":{"max_data_xfer_size":-1}}']),
          random.int(2),
        ),
        framed: true,
      };
    case 9: // size field below the header: the stream cannot be framed, the server disconnects
      return {
        bytes: Buffer.concat([le.u16(id), le.u16(1), le.u32(random.int(16)), Buffer.alloc(8)]),
        framed: false,
      };
    case 10: // size field far above the limit: disconnect
      return {
        bytes: Buffer.concat([
          le.u16(id),
          le.u16(9),
          le.u32(0x8000_0000 + random.int(1000)),
          Buffer.alloc(8),
        ]),
        framed: false,
      };
    default: // a truncated header, then the client vanishes
      return { bytes: random.bytes(1 + random.int(15)), framed: false, vanish: true };
  }
}

/** Sends a probe and checks that every request of the batch got exactly one reply. */
async function checkBatch(conn: FuzzConnection, expected: number[], report: FuzzReport): Promise<void> {
  conn.send(message(PROBE_ID, Command.DeviceGetInfo, Buffer.concat([le.u32(16), Buffer.alloc(12)])));
  if (!(await conn.waitFor(PROBE_ID))) return;
  for (const id of expected) {
    const count = conn.replies.get(id) ?? 0;
    if (count !== 1) report.violations.push(`request ${id}: ${count} replies`);
  }
  report.replies += [...conn.replies.values()].reduce((a, b) => a + b, 0) - 1;
  report.errorReplies += conn.errorReplies;
  conn.errorReplies = 0;
  conn.replies.clear();
}

/** Runs the fuzzer against a listening server. */
export async function fuzzServer(options: FuzzOptions): Promise<FuzzReport> {
  const random = rng(options.seed ?? 1);
  const batch = options.batch ?? 64;
  const report: FuzzReport = { messages: 0, replies: 0, errorReplies: 0, disconnects: 0, violations: [] };
  let connection: FuzzConnection | undefined;
  const reopen = async () => {
    connection?.close();
    connection = await FuzzConnection.open(options.socketPath, random);
    connection.send(versionRequest(PROBE_ID));
    if (!(await connection.waitFor(PROBE_ID))) throw new Error("the server refused a fresh client");
    connection.replies.clear();
  };
  await reopen();
  while (report.messages < options.messages) {
    const conn = connection as FuzzConnection;
    const expected: number[] = [];
    let broken: { bytes: Buffer; vanish?: boolean } | undefined;
    for (let id = 0; id < batch && report.messages < options.messages; id++) {
      const { bytes, framed, vanish } = malformed(random, id);
      report.messages += 1;
      if (!framed) {
        broken = { bytes, vanish };
        break;
      }
      conn.send(bytes);
      const flags = bytes.readUInt32LE(8);
      const isRequest = (flags & MessageFlag.TypeMask) === MessageFlag.Request;
      if (isRequest && !(flags & MessageFlag.NoReply)) expected.push(id);
    }
    await checkBatch(conn, expected, report);
    options.onProgress?.(report.messages);
    if (conn.closed) {
      report.violations.push(`the server hung up on framed messages (batch ending at ${report.messages})`);
      await reopen();
      continue;
    }
    if (broken) {
      // The server must hang up (a lying size) or keep waiting for the rest (a short header);
      // either way this client goes away mid-message and the next one must be served.
      conn.send(broken.bytes);
      if (!broken.vanish) {
        await conn.waitFor(-1);
        if (!conn.closed) report.violations.push("no disconnect after an unframeable header");
      }
      report.disconnects += 1;
      await reopen();
    }
  }
  connection?.close();
  return report;
}

export interface FdFloodReport {
  messages: number;
  fdsSent: number;
  replies: number;
  violations: string[];
}

/**
 * fd floods: framed requests that carry 1-64 fds each (the server accepts at most one, on DMA_MAP,
 * or one per vector on SET_IRQS). Every request must get exactly one reply and the server must
 * close every fd it does not keep; the caller compares the server's open fds before and after.
 */
export async function fuzzFdFlood(options: FuzzOptions & { fd: number }): Promise<FdFloodReport> {
  const usocket = loadFdPassing();
  if (usocket instanceof Error) throw usocket;
  const random = rng(options.seed ?? 2);
  const report: FdFloodReport = { messages: 0, fdsSent: 0, replies: 0, violations: [] };
  const socket = new usocket.USocket({ path: options.socketPath });
  await new Promise<void>((resolve) => socket.on("connected", resolve));
  let buffered = Buffer.alloc(0);
  const replies = new Map<number, number>();
  let wake: (() => void) | undefined;
  socket.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 16 && buffered.length >= buffered.readUInt32LE(4)) {
      const id = buffered.readUInt16LE(0);
      replies.set(id, (replies.get(id) ?? 0) + 1);
      buffered = buffered.subarray(buffered.readUInt32LE(4));
    }
    wake?.();
  });
  const exchange = async (id: number, bytes: Buffer, fds: number[]) => {
    socket.write({ data: bytes, fds });
    while (!replies.has(id)) await new Promise<void>((resolve) => (wake = resolve));
  };
  await exchange(0, versionRequest(0), []);
  while (report.messages < options.messages) {
    const id = 1 + (report.messages % 0xfff0);
    const fds = Array.from({ length: 1 + random.int(64) }, () => options.fd);
    const bytes = random.pick([
      () => dmaMapRequest(id, random.u64() & ~0xfffn, 0x1000n, 3, 0n),
      () =>
        message(
          id,
          Command.DeviceSetIrqs,
          Buffer.concat([le.u32(20), le.u32(0x24), le.u32(2), le.u32(0), le.u32(random.int(9))]),
        ),
      () => message(id, Command.DeviceGetInfo, Buffer.concat([le.u32(16), Buffer.alloc(12)])),
      () => regionReadRequest(id, 7, 0n, 4),
    ])();
    replies.delete(id);
    await exchange(id, bytes, fds);
    report.messages += 1;
    report.fdsSent += fds.length;
    if (replies.get(id) !== 1) report.violations.push(`request ${id}: ${replies.get(id)} replies`);
    report.replies += 1;
    options.onProgress?.(report.messages);
  }
  // Unmap everything and disarm the vectors, so every fd the server kept is closed again.
  await exchange(
    0xfff1,
    message(0xfff1, Command.DmaUnmap, Buffer.concat([le.u32(24), le.u32(2), le.u64(0n), le.u64(0n)])),
    [],
  );
  await exchange(
    0xfff2,
    message(
      0xfff2,
      Command.DeviceSetIrqs,
      Buffer.concat([le.u32(20), le.u32(0x21), le.u32(2), le.u32(0), le.u32(0)]),
    ),
    [],
  );
  socket.destroy();
  return report;
}
