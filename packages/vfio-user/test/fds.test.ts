// fd passing (SCM_RIGHTS through the usocket addon): guest RAM as an fd-backed map is read and
// written with pread/pwrite, SET_IRQS eventfds receive the interrupts, and fds on requests that take
// none are refused and closed. Skips with a printed reason when the addon is not built.
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createMemoryStore } from "@bplab/controller";
import { bprselCodec, RegisterOffset } from "@bplab/nvme-spec";
import { afterEach, describe, expect, it } from "vitest";
import { Command, Errno, loadFdPassing, MessageFlag, SetIrqsFlag } from "../src/index.js";
import {
  dmaMapRequest,
  getInfoRequest,
  le,
  message,
  regionReadRequest,
  regionWriteRequest,
  setIrqsRequest,
  versionRequest,
} from "../src/testing/index.js";
import { type Harness, headerOf, startHarness } from "./helpers/raw-client.js";

const usocket = loadFdPassing();
if (usocket instanceof Error)
  console.warn(`[vfio-user] skipping fd-passing tests: usocket is not built (${usocket.message})`);
const RAM = 0x10_0000n;
const RAM_BYTES = 0x20_0000;
const BAR0 = 0;
const BP_BYTES = 128 * 1024;
const IMAGE = new Uint8Array(BP_BYTES).map((_, i) => (i * 31 + 7) & 0xff);

interface FdClient {
  request(bytes: Buffer, fds?: number[]): Promise<Buffer>;
  send(bytes: Buffer, fds?: number[]): void;
  close(): void;
}

/** A client that can pass fds, built on the same addon the server uses. */
async function fdClient(path: string): Promise<FdClient> {
  const { USocket } = createRequire(import.meta.url)("usocket") as {
    USocket: new (options: {
      path: string;
    }) => {
      on(event: string, listener: (...args: unknown[]) => void): void;
      write(chunk: { data: Buffer; fds: number[] }): void;
      destroy(): void;
    };
  };
  const socket = new USocket({ path });
  await new Promise((resolve) => socket.on("connected", resolve));
  let buffered = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  socket.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk as Buffer]);
    for (const wake of waiters.splice(0)) wake();
  });
  const next = async (): Promise<Buffer> => {
    while (buffered.length < 8 || buffered.length < buffered.readUInt32LE(4))
      await new Promise<void>((resolve) => waiters.push(resolve));
    const size = buffered.readUInt32LE(4);
    const out = Buffer.from(buffered.subarray(0, size));
    buffered = buffered.subarray(size);
    return out;
  };
  const send = (bytes: Buffer, fds: number[] = []) => socket.write({ data: bytes, fds });
  return {
    send,
    async request(bytes, fds) {
      send(bytes, fds);
      return next();
    },
    close: () => socket.destroy(),
  };
}

let h: Harness;
let guestRam: string;
afterEach(async () => {
  await h.close();
});

async function setup(): Promise<FdClient> {
  const store = createMemoryStore({ bpSizeBytes: BP_BYTES });
  store.bootPartitions.stageWrite(0, IMAGE);
  store.bootPartitions.commitStaged(0);
  h = await startHarness({ store });
  guestRam = join(h.path, "..", "guest-ram");
  writeFileSync(guestRam, Buffer.alloc(RAM_BYTES));
  const client = await fdClient(h.path);
  await client.request(versionRequest(0));
  const fd = openSync(guestRam, "r+");
  const reply = await client.request(dmaMapRequest(1, RAM, BigInt(RAM_BYTES), 3, 0n), [fd]);
  closeSync(fd); // the server holds its own copy
  expect(headerOf(reply).flags).toBe(MessageFlag.Reply);
  return client;
}

describe.skipIf(usocket instanceof Error)("fd passing", () => {
  it("a BP read lands in the fd-backed guest RAM through pwrite, with no DMA message", async () => {
    const client = await setup();
    client.send(regionWriteRequest(2, BAR0, BigInt(RegisterOffset.BPMBL), le.u64(RAM + 0x1000n), true));
    client.send(
      regionWriteRequest(
        3,
        BAR0,
        BigInt(RegisterOffset.BPRSEL),
        le.u32(bprselCodec.encode({ bprsz: 1, bprof: 0, bpid: 0 })),
        true,
      ),
    );
    for (;;) {
      const reply = await client.request(regionReadRequest(4, BAR0, BigInt(RegisterOffset.BPINFO), 4));
      expect(headerOf(reply).command).toBe(Command.RegionRead); // never a DMA request
      if (((reply.readUInt32LE(32) >> 24) & 3) !== 1) break;
    }
    const ram = readFileSync(guestRam);
    expect(ram.subarray(0x1000, 0x2000)).toEqual(Buffer.from(IMAGE.subarray(0, 4096)));
    expect(h.server.stats.dmaMessages).toBe(0);
  });

  it("a DMA_MAP whose fd is shorter than offset+size: EINVAL, and the map is not added", async () => {
    const client = await setup();
    const fd = openSync(guestRam, "r+");
    const reply = await client.request(dmaMapRequest(5, 0x1000_0000n, 0x100_0000n, 3, 0n), [fd]);
    closeSync(fd);
    expect(reply).toEqual(
      message(5, Command.DmaMap, [], MessageFlag.Reply | MessageFlag.Error, Errno.EINVAL),
    );
    expect(h.server.maps.size).toBe(1);
  });

  it("fds on a request that takes none: EINVAL, and the fds are not kept", async () => {
    const client = await setup();
    const fd = openSync(guestRam, "r");
    const reply = await client.request(getInfoRequest(6), [fd, fd]);
    closeSync(fd);
    expect(reply).toEqual(
      message(6, Command.DeviceGetInfo, [], MessageFlag.Reply | MessageFlag.Error, Errno.EINVAL),
    );
  });

  it("an MSI-X eventfd from SET_IRQS gets an 8-byte 1 when the controller raises its vector", async () => {
    const client = await setup();
    const eventfdStandIn = join(h.path, "..", "eventfd");
    writeFileSync(eventfdStandIn, "");
    const fd = openSync(eventfdStandIn, "r+");
    const flags = SetIrqsFlag.DataEventfd | SetIrqsFlag.ActionTrigger;
    expect(headerOf(await client.request(setIrqsRequest(7, flags, 2, 0, 1), [fd])).flags).toBe(
      MessageFlag.Reply,
    );
    closeSync(fd);
    h.server.irqs.assert(0);
    expect(readFileSync(eventfdStandIn)).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
  });

  it("SET_IRQS with fewer fds than vectors: EINVAL", async () => {
    const client = await setup();
    const fd = openSync(guestRam, "r");
    const flags = SetIrqsFlag.DataEventfd | SetIrqsFlag.ActionTrigger;
    const reply = await client.request(setIrqsRequest(8, flags, 2, 0, 2), [fd]);
    closeSync(fd);
    expect(reply).toEqual(
      message(8, Command.DeviceSetIrqs, [], MessageFlag.Reply | MessageFlag.Error, Errno.EINVAL),
    );
  });
});
