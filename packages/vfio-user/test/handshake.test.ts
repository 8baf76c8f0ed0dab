// Raw bytes in, exact bytes out (in the style of libvfio-user's pyunit tests): the negotiation and
// discovery messages QEMU 10.2.2 sends before the guest runs, one behaviour per test.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Command, Errno, MessageFlag } from "../src/index.js";
import {
  getInfoRequest,
  irqInfoRequest,
  le,
  message,
  QEMU_VERSION_JSON,
  regionInfoRequest,
  versionRequest,
} from "../src/testing/index.js";
import { type Harness, headerOf, RawClient, startHarness } from "./helpers/raw-client.js";

const REPLY = MessageFlag.Reply;
const ERROR_REPLY = MessageFlag.Reply | MessageFlag.Error;
let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

function errorReply(id: number, command: number, errno: number): Buffer {
  return message(id, command, [], ERROR_REPLY, errno);
}

describe("VERSION", () => {
  it("answers QEMU's request with version 0.0 and a short NUL-terminated JSON no longer than the request", async () => {
    const client = await RawClient.connect(h.path);
    const request = versionRequest(7);
    const reply = await client.request(request);
    const json = '{"capabilities":{"max_msg_fds":16,"max_data_xfer_size":1048576}}';
    expect(reply).toEqual(
      message(7, Command.Version, Buffer.concat([le.u16(0), le.u16(0), Buffer.from(`${json}\0`)]), REPLY),
    );
    expect(reply.length).toBeLessThanOrEqual(request.length);
  });

  it("falls back to {} when the request is shorter than the full reply", async () => {
    const client = await RawClient.connect(h.path);
    const reply = await client.request(versionRequest(1, "{}"));
    expect(reply).toEqual(
      message(1, Command.Version, Buffer.concat([le.u32(0), Buffer.from("{}\0")]), REPLY),
    );
  });

  it("refuses major version 1 with ENOTSUP", async () => {
    const client = await RawClient.connect(h.path);
    expect(await client.request(versionRequest(2, QEMU_VERSION_JSON, 1))).toEqual(
      errorReply(2, Command.Version, Errno.ENOTSUP),
    );
  });

  it("refuses capabilities that are not JSON with EINVAL", async () => {
    const client = await RawClient.connect(h.path);
    expect(await client.request(versionRequest(3, "{not json"))).toEqual(
      errorReply(3, Command.Version, Errno.EINVAL),
    );
  });

  it("refuses any other command before VERSION with EINVAL", async () => {
    const client = await RawClient.connect(h.path);
    expect(await client.request(getInfoRequest(4))).toEqual(
      errorReply(4, Command.DeviceGetInfo, Errno.EINVAL),
    );
  });

  it("refuses a second VERSION with EINVAL", async () => {
    const client = await h.client();
    expect(await client.request(versionRequest(5))).toEqual(errorReply(5, Command.Version, Errno.EINVAL));
  });
});

describe("discovery", () => {
  it("DEVICE_GET_INFO: PCI and RESET, 9 regions, 5 IRQ types", async () => {
    const client = await h.client();
    const payload = Buffer.concat([le.u32(16), le.u32(3), le.u32(9), le.u32(5)]);
    expect(await client.request(getInfoRequest(9))).toEqual(
      message(9, Command.DeviceGetInfo, payload, REPLY),
    );
  });

  it("GET_REGION_INFO 0: BAR0 readable and writable, 16 KiB, no mmap", async () => {
    const client = await h.client();
    const payload = Buffer.concat([le.u32(32), le.u32(3), le.u32(0), le.u32(0), le.u64(0x4000n), le.u64(0n)]);
    expect(await client.request(regionInfoRequest(10, 0))).toEqual(
      message(10, Command.DeviceGetRegionInfo, payload, REPLY),
    );
  });

  it("GET_REGION_INFO 1: the upper half of the 64-bit BAR0 is absent (size 0, no flags)", async () => {
    const client = await h.client();
    const payload = Buffer.concat([le.u32(32), le.u32(0), le.u32(1), le.u32(0), le.u64(0n), le.u64(0n)]);
    expect(await client.request(regionInfoRequest(11, 1))).toEqual(
      message(11, Command.DeviceGetRegionInfo, payload, REPLY),
    );
  });

  it("GET_REGION_INFO 7: a 4 KiB PCIe config space", async () => {
    const client = await h.client();
    const reply = await client.request(regionInfoRequest(12, 7));
    expect(reply.readBigUInt64LE(32)).toBe(4096n);
    expect(reply.readUInt32LE(20)).toBe(3);
  });

  it("GET_REGION_INFO with an index past the last region: EINVAL", async () => {
    const client = await h.client();
    expect(await client.request(regionInfoRequest(13, 9))).toEqual(
      errorReply(13, Command.DeviceGetRegionInfo, Errno.EINVAL),
    );
  });

  it("GET_REGION_INFO with argsz below the struct: EINVAL", async () => {
    const client = await h.client();
    expect(await client.request(regionInfoRequest(14, 0, 8))).toEqual(
      errorReply(14, Command.DeviceGetRegionInfo, Errno.EINVAL),
    );
  });

  it("GET_IRQ_INFO MSIX: 8 eventfd vectors, not resizable", async () => {
    const client = await h.client();
    const payload = Buffer.concat([le.u32(16), le.u32(1 | 8), le.u32(2), le.u32(8)]);
    expect(await client.request(irqInfoRequest(15, 2))).toEqual(
      message(15, Command.DeviceGetIrqInfo, payload, REPLY),
    );
  });

  it("GET_IRQ_INFO ERR: present with no vectors, so QEMU wires no error notifier", async () => {
    const client = await h.client();
    const payload = Buffer.concat([le.u32(16), le.u32(0), le.u32(3), le.u32(0)]);
    expect(await client.request(irqInfoRequest(16, 3))).toEqual(
      message(16, Command.DeviceGetIrqInfo, payload, REPLY),
    );
  });

  it("an unknown command gets ENOSYS and the stream goes on", async () => {
    const client = await h.client();
    expect(await client.request(message(17, 99, [1, 2, 3, 4]))).toEqual(errorReply(17, 99, Errno.ENOSYS));
    expect(headerOf(await client.request(getInfoRequest(18))).flags).toBe(REPLY);
  });

  it("REGION_WRITE_MULTI is not announced and gets ENOSYS", async () => {
    const client = await h.client();
    expect(await client.request(message(19, Command.RegionWriteMulti, Buffer.alloc(16)))).toEqual(
      errorReply(19, Command.RegionWriteMulti, Errno.ENOSYS),
    );
  });

  it("a NO_REPLY request that fails gets no reply at all", async () => {
    const client = await h.client();
    client.send(message(20, 99, [], MessageFlag.NoReply));
    expect(headerOf(await client.request(getInfoRequest(21))).id).toBe(21);
  });
});
