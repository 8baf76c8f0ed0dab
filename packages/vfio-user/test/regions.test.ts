// Config space and BAR0 through REGION_READ / REGION_WRITE, raw bytes in, exact bytes out.
import { RegisterOffset } from "@bplab/nvme-spec";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CapabilityOffset, Command, Errno, MessageFlag } from "../src/index.js";
import {
  deviceResetRequest,
  le,
  message,
  regionReadRequest,
  regionWriteRequest,
} from "../src/testing/index.js";
import { type Harness, headerOf, type RawClient, startHarness } from "./helpers/raw-client.js";

const CONFIG = 7;
const BAR0 = 0;
let h: Harness;
let client: RawClient;
beforeEach(async () => {
  h = await startHarness();
  client = await h.client();
});
afterEach(async () => {
  await h.close();
});

async function read(region: number, offset: number, count: number): Promise<Buffer> {
  const reply = await client.request(regionReadRequest(1, region, BigInt(offset), count));
  expect(headerOf(reply)).toMatchObject({ flags: MessageFlag.Reply, size: 32 + count });
  return reply.subarray(32);
}
async function write(region: number, offset: number, data: number[] | Buffer): Promise<Buffer> {
  return client.request(regionWriteRequest(2, region, BigInt(offset), Buffer.from(data)));
}

describe("config space", () => {
  it("a REGION_READ reply echoes offset, region and count, data at byte 32", async () => {
    const reply = await client.request(regionReadRequest(3, CONFIG, 0n, 4));
    expect(reply).toEqual(
      message(
        3,
        Command.RegionRead,
        Buffer.concat([le.u64(0n), le.u32(CONFIG), le.u32(4), le.u16(0x1b36), le.u16(0x0010)]),
        MessageFlag.Reply,
      ),
    );
  });

  it("class code 010802h, header type 0, status has the capability list", async () => {
    const header = await read(CONFIG, 0, 64);
    expect([header[0x0b], header[0x0a], header[0x09]]).toEqual([0x01, 0x08, 0x02]);
    expect(header[0x0e]).toBe(0);
    expect(header.readUInt16LE(0x06) & 0x10).toBe(0x10);
    expect(header[0x3d]).toBe(0); // no INTx pin
  });

  it("the capability list is PM, then MSI-X, then PCIe with FLR, then ends", async () => {
    const space = await read(CONFIG, 0, 256);
    const chain: number[] = [];
    for (let at = space[0x34] as number; at !== 0; at = space[at + 1] as number)
      chain.push(space[at] as number);
    expect(chain).toEqual([0x01, 0x11, 0x10]);
    expect(space.readUInt16LE(CapabilityOffset.msix + 2) & 0x7ff).toBe(7); // 8 vectors
    expect(space.readUInt32LE(CapabilityOffset.msix + 4)).toBe(0x2000); // table in BAR0
    expect(space.readUInt32LE(CapabilityOffset.msix + 8)).toBe(0x3000); // PBA in BAR0
    expect(space.readUInt32LE(CapabilityOffset.pcie + 4) & (1 << 28)).not.toBe(0); // FLR capable
  });

  it("BAR0 is a 64-bit memory BAR whose size bits read 0 after an all-ones write", async () => {
    expect((await read(CONFIG, 0x10, 4)).readUInt32LE()).toBe(0x4);
    await write(CONFIG, 0x10, [0xff, 0xff, 0xff, 0xff]);
    expect((await read(CONFIG, 0x10, 4)).readUInt32LE()).toBe(0xffffc004);
    await write(CONFIG, 0x14, [0xff, 0xff, 0xff, 0xff]);
    expect((await read(CONFIG, 0x14, 4)).readUInt32LE()).toBe(0xffffffff);
  });

  it("read-only fields keep their value: a write to the vendor ID and class code changes nothing", async () => {
    const before = await read(CONFIG, 0, 12);
    await write(CONFIG, 0, Buffer.alloc(12, 0xaa));
    const after = await read(CONFIG, 0, 12);
    expect(after.subarray(0, 4)).toEqual(before.subarray(0, 4));
    expect(after.subarray(8, 12)).toEqual(before.subarray(8, 12));
  });

  it("the command register keeps only MEM, MASTER and INTx-disable", async () => {
    await write(CONFIG, 0x04, [0xff, 0xff]);
    expect((await read(CONFIG, 0x04, 2)).readUInt16LE()).toBe(0x0406);
  });

  it("a config write is answered with offset, region and count (never posted)", async () => {
    expect(await write(CONFIG, 0x3c, [0x0b])).toEqual(
      message(
        2,
        Command.RegionWrite,
        Buffer.concat([le.u64(0x3cn), le.u32(CONFIG), le.u32(1)]),
        MessageFlag.Reply,
      ),
    );
  });

  it("FLR (Device Control bit 15) is a controller reset: CC and the command register return to 0", async () => {
    await write(CONFIG, 0x04, [0x06, 0x00]);
    await write(BAR0, RegisterOffset.AQA, le.u32(0x001f001f));
    await write(CONFIG, CapabilityOffset.pcie + 8, le.u16(0x8000));
    expect((await read(CONFIG, 0x04, 2)).readUInt16LE()).toBe(0);
    expect((await read(BAR0, RegisterOffset.AQA, 4)).readUInt32LE()).toBe(0);
    // Initiate FLR always reads 0.
    expect((await read(CONFIG, CapabilityOffset.pcie + 8, 2)).readUInt16LE() & 0x8000).toBe(0);
  });
});

describe("BAR0", () => {
  it("reads CAP as one 8-byte access and VS as a 4-byte one", async () => {
    const cap = (await read(BAR0, RegisterOffset.CAP, 8)).readBigUInt64LE();
    expect(cap).toBe(h.server.controller.mmioRead64(RegisterOffset.CAP));
    expect((await read(BAR0, RegisterOffset.VS, 4)).readUInt32LE()).toBe(
      h.server.controller.mmioRead32(RegisterOffset.VS),
    );
  });

  it("a posted write (NO_REPLY) gets no reply and takes effect before the next read", async () => {
    client.send(regionWriteRequest(4, BAR0, BigInt(RegisterOffset.AQA), le.u32(0x00070007), true));
    expect((await read(BAR0, RegisterOffset.AQA, 4)).readUInt32LE()).toBe(0x00070007);
    expect(client.pendingBytes).toBe(0);
  });

  it("a 2-byte write changes only its half of the register", async () => {
    await write(BAR0, RegisterOffset.AQA, le.u32(0x00110022));
    await write(BAR0, RegisterOffset.AQA + 2, le.u16(0x0033));
    expect((await read(BAR0, RegisterOffset.AQA, 4)).readUInt32LE()).toBe(0x00330022);
  });

  it("DEVICE_RESET is a controller reset: the reply is the header only and AQA reads 0", async () => {
    await write(BAR0, RegisterOffset.AQA, le.u32(0x00070007));
    expect(await client.request(deviceResetRequest(5))).toEqual(
      message(5, Command.DeviceReset, [], MessageFlag.Reply),
    );
    expect((await read(BAR0, RegisterOffset.AQA, 4)).readUInt32LE()).toBe(0);
  });

  it("the MSI-X table keeps what is written; the PBA reads 0", async () => {
    await write(BAR0, 0x2000, le.u32(0xfee00000));
    expect((await read(BAR0, 0x2000, 4)).readUInt32LE()).toBe(0xfee00000);
    expect((await read(BAR0, 0x3000, 8)).readBigUInt64LE()).toBe(0n);
  });
});

describe("hostile region accesses", () => {
  const cases: Array<[string, Buffer]> = [
    ["a read past the end of BAR0", regionReadRequest(6, BAR0, 0x3ffcn, 8)],
    ["a read at an offset beyond 2^63", regionReadRequest(6, BAR0, 1n << 63n, 4)],
    ["a read of an absent region (BAR2)", regionReadRequest(6, 2, 0n, 4)],
    ["a read of region 2^32-1", regionReadRequest(6, 0xffffffff, 0n, 4)],
    ["a read of 0 bytes", regionReadRequest(6, CONFIG, 0n, 0)],
    ["a read larger than max_data_xfer_size", regionReadRequest(6, CONFIG, 0n, 2 * 1024 * 1024)],
    ["a write past the end of config space", regionWriteRequest(6, CONFIG, 4095n, Buffer.alloc(2))],
  ];
  for (const [what, request] of cases) {
    it(`${what}: EINVAL`, async () => {
      expect(await client.request(request)).toEqual(
        message(6, request.readUInt16LE(2), [], MessageFlag.Reply | MessageFlag.Error, Errno.EINVAL),
      );
    });
  }

  it("a REGION_WRITE whose count disagrees with its size: EINVAL, nothing written", async () => {
    const request = regionWriteRequest(8, BAR0, BigInt(RegisterOffset.AQA), le.u32(0x00050005));
    request.writeUInt32LE(8, 28); // claims 8 bytes, carries 4
    expect(await client.request(request)).toEqual(
      message(8, Command.RegionWrite, [], MessageFlag.Reply | MessageFlag.Error, Errno.EINVAL),
    );
    expect((await read(BAR0, RegisterOffset.AQA, 4)).readUInt32LE()).toBe(0);
  });

  it("a REGION_READ shorter than its fixed fields: EINVAL", async () => {
    expect(await client.request(message(9, Command.RegionRead, Buffer.alloc(8)))).toEqual(
      message(9, Command.RegionRead, [], MessageFlag.Reply | MessageFlag.Error, Errno.EINVAL),
    );
  });
});
