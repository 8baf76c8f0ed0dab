// DMA through DMA_READ / DMA_WRITE messages (guest RAM without fds): the exact bytes of the
// server's requests in QEMU 10.2.2's layout (data at byte 28) and the spec layout, the map checks,
// and the ordering rules: a register reply before the DMA it causes, BRS and CQEs only after the
// DMA_WRITE replies for their data.
import { bpinfoCodec, bprselCodec, RegisterOffset } from "@bplab/nvme-spec";
import { afterEach, describe, expect, it } from "vitest";
import { Command, MessageFlag } from "../src/index.js";
import {
  dmaMapRequest,
  le,
  qemuDmaReadReply,
  qemuDmaWriteReply,
  regionReadRequest,
  regionWriteRequest,
} from "../src/testing/index.js";
import { type ChildHarness, headerOf, type RawClient, startChildServer } from "./helpers/raw-client.js";

const BAR0 = 0;
const RAM = 0x10_0000n;
const BP_BYTES = 128 * 1024;
const PATTERN = { multiplier: 13, add: 5 };
const IMAGE = new Uint8Array(BP_BYTES).map((_, i) => (i * PATTERN.multiplier + PATTERN.add) & 0xff);

let h: ChildHarness;
afterEach(async () => {
  await h.close();
});

async function harness(dmaLayout: "qemu" | "spec" = "qemu"): Promise<RawClient> {
  // The server runs in its own process: it waits for DMA replies synchronously.
  h = await startChildServer({ bpSizeBytes: BP_BYTES, pattern: PATTERN, dmaLayout });
  const client = await h.client();
  expect(headerOf(await client.request(dmaMapRequest(1, RAM, 0x10_0000n))).flags).toBe(MessageFlag.Reply);
  return client;
}

async function brs(client: RawClient): Promise<number> {
  const reply = await client.request(regionReadRequest(2, BAR0, BigInt(RegisterOffset.BPINFO), 4));
  return bpinfoCodec.decode(reply.readUInt32LE(32)).brs;
}

/** BRS once the read is over: a host polls while it reads 01b (the device works on a later turn). */
async function settledBrs(client: RawClient): Promise<number> {
  for (;;) {
    const value = await brs(client);
    if (value !== 1) return value;
  }
}

/** Posts BPMBL and BPRSEL (`pages` x 4 KiB of BP0 at offset 4 KiB) as QEMU posts BAR writes. */
function startBpRead(client: RawClient, buffer: bigint, pages = 1): void {
  client.send(regionWriteRequest(3, BAR0, BigInt(RegisterOffset.BPMBL), le.u64(buffer), true));
  const bprsel = bprselCodec.encode({ bprsz: pages, bprof: 1, bpid: 0 });
  client.send(regionWriteRequest(4, BAR0, BigInt(RegisterOffset.BPRSEL), le.u32(bprsel), true));
}

describe("DMA_WRITE (BP read through BPRSEL)", () => {
  it("sends QEMU's layout: size 32+count, address @16, u32 count @24, data @28, 4 pad bytes", async () => {
    const client = await harness();
    startBpRead(client, RAM + 0x1000n);
    const request = await client.next();
    expect(headerOf(request)).toMatchObject({ command: Command.DmaWrite, flags: 0, size: 32 + 4096 });
    expect(request.readBigUInt64LE(16)).toBe(RAM + 0x1000n);
    expect(request.readUInt32LE(24)).toBe(4096);
    expect(request.subarray(28, 28 + 4096)).toEqual(Buffer.from(IMAGE.subarray(4096, 8192)));
    expect(request.subarray(28 + 4096)).toEqual(Buffer.alloc(4));
    client.send(qemuDmaWriteReply(headerOf(request).id));
    expect(await settledBrs(client)).toBe(2);
  });

  it("with the spec layout: u64 count @24 and the data @32", async () => {
    const client = await harness("spec");
    startBpRead(client, RAM);
    const request = await client.next();
    expect(request.readBigUInt64LE(24)).toBe(4096n);
    expect(request.subarray(32)).toEqual(Buffer.from(IMAGE.subarray(4096, 8192)));
    client.send(qemuDmaWriteReply(headerOf(request).id));
    expect(await settledBrs(client)).toBe(2);
  });

  it("BRS reads 01b while the DMA_WRITE is unanswered and 10b only after its reply", async () => {
    const client = await harness();
    startBpRead(client, RAM);
    const request = await client.next();
    // The server serves register reads while it waits for the DMA reply (QEMU holds its lock).
    expect(await brs(client)).toBe(1);
    client.send(qemuDmaWriteReply(headerOf(request).id));
    expect(await settledBrs(client)).toBe(2);
  });

  it("a buffer outside the DMA maps: BRS=11b and no DMA message", async () => {
    const client = await harness();
    startBpRead(client, 0x4000_0000n);
    expect(await settledBrs(client)).toBe(3);
    expect(client.pendingBytes).toBe(0);
  });

  it("a buffer in a read-only map (ROM): BRS=11b and no DMA message", async () => {
    const client = await harness();
    await client.request(dmaMapRequest(5, 0xc_0000n, 0x2_0000n, 1));
    startBpRead(client, 0xc_0000n);
    expect(await settledBrs(client)).toBe(3);
    expect(client.pendingBytes).toBe(0);
  });

  it("a buffer that runs off the end of a map: BRS=11b and no DMA message", async () => {
    const client = await harness();
    startBpRead(client, RAM + 0x10_0000n - 0x1000n, 2); // the second page is unmapped
    expect(await settledBrs(client)).toBe(3);
    expect(client.pendingBytes).toBe(0);
  });

  it("an error reply to the DMA_WRITE ends the read with BRS=11b", async () => {
    const client = await harness();
    startBpRead(client, RAM);
    const request = await client.next();
    const refused = qemuDmaWriteReply(headerOf(request).id);
    refused.writeUInt32LE(MessageFlag.Reply | MessageFlag.Error, 8);
    refused.writeUInt32LE(14, 12);
    client.send(refused);
    expect(await settledBrs(client)).toBe(3);
  });
});

describe("DMA_READ (an admin command from guest memory)", () => {
  const ASQ = RAM;
  const ACQ = RAM + 0x1000n;
  const DATA = RAM + 0x2000n;

  function identifySqe(): Buffer {
    const sqe = Buffer.alloc(64);
    sqe.writeUInt32LE(0x06 | (0x1234 << 16), 0); // Identify, CID 1234h
    sqe.writeBigUInt64LE(DATA, 24); // PRP1
    sqe.writeUInt32LE(1, 40); // CNS 01h: controller
    return sqe;
  }

  async function enable(client: RawClient): Promise<void> {
    const post = (offset: number, bytes: Buffer) =>
      client.send(regionWriteRequest(6, BAR0, BigInt(offset), bytes, true));
    post(RegisterOffset.AQA, le.u32(0x0003_0003));
    post(RegisterOffset.ASQ, le.u64(ASQ));
    post(RegisterOffset.ACQ, le.u64(ACQ));
    post(RegisterOffset.CC, le.u32(0x0046_0001));
    const csts = await client.request(regionReadRequest(7, BAR0, BigInt(RegisterOffset.CSTS), 4));
    expect(csts.readUInt32LE(32) & 1).toBe(1);
  }

  it("reads the SQE with a DMA_READ, writes the data, and writes the CQE only after the data's reply", async () => {
    const client = await harness();
    await enable(client);
    client.send(regionWriteRequest(8, BAR0, 0x1000n, le.u32(1), true)); // SQ0 tail doorbell
    const read = await client.next();
    expect(headerOf(read)).toMatchObject({ command: Command.DmaRead, flags: 0, size: 32 });
    expect(read.readBigUInt64LE(16)).toBe(ASQ);
    expect(read.readUInt32LE(24)).toBe(64);
    client.send(qemuDmaReadReply(headerOf(read).id, ASQ, identifySqe()));

    const data = await client.next();
    expect(headerOf(data).command).toBe(Command.DmaWrite);
    expect(data.readBigUInt64LE(16)).toBe(DATA);
    expect(data.readUInt32LE(24)).toBe(4096);
    // Nothing else comes until the data's DMA_WRITE is answered.
    await client.request(regionReadRequest(9, BAR0, BigInt(RegisterOffset.CSTS), 4));
    expect(client.pendingBytes).toBe(0);
    client.send(qemuDmaWriteReply(headerOf(data).id));

    const cqe = await client.next();
    expect(headerOf(cqe).command).toBe(Command.DmaWrite);
    expect(cqe.readBigUInt64LE(16)).toBe(ACQ);
    expect(cqe.readUInt32LE(24)).toBe(16);
    expect(cqe.readUInt16LE(28 + 12)).toBe(0x1234); // CID
    expect(cqe.readUInt16LE(28 + 14) >> 1).toBe(0); // status: success
    client.send(qemuDmaWriteReply(headerOf(cqe).id));
  });
});

describe("a client that never answers a DMA request", () => {
  it("is disconnected after dmaReplyTimeoutMs, and the next client is served", async () => {
    h = await startChildServer({ bpSizeBytes: BP_BYTES, pattern: PATTERN, dmaReplyTimeoutMs: 300 });
    const client = await h.client();
    await client.request(dmaMapRequest(1, RAM, 0x10_0000n));
    startBpRead(client, RAM);
    expect(headerOf(await client.next()).command).toBe(Command.DmaWrite);
    await client.closed(); // never answered
    const next = await h.client();
    expect(await settledBrs(next)).toBe(0); // a new client is a power cycle (MC-69): BRS cleared
  });
});
