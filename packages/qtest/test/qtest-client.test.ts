// QtestClient against an in-memory peer: exact bytes out for every command, typed results back,
// and malformed requests rejected before a byte is written.
import { describe, expect, it } from "vitest";
import { QtestCommandFailedError, QtestRequestError } from "../src/errors.js";
import { QtestClient } from "../src/qtest/client.js";
import { QtestConnection } from "../src/qtest/protocol.js";
import { FakePeer, flush } from "./helpers/fake-peer.js";

function connect(options: { bulkChunkBytes?: number } = {}): { peer: FakePeer; client: QtestClient } {
  const peer = new FakePeer();
  return { peer, client: new QtestClient(new QtestConnection(peer.stream, { replyTimeoutMs: 0 }), options) };
}

/** Runs `call`, answers it with `reply` and returns the line sent and the result. */
async function exchange<T>(call: (client: QtestClient) => Promise<T>, reply: string) {
  const { peer, client } = connect();
  const result = call(client);
  await peer.waitForWrites(1);
  peer.send(`${reply}\n`);
  return { sent: peer.output, result: await result };
}

describe("request bytes", () => {
  it.each<[string, (client: QtestClient) => Promise<unknown>, string]>([
    ["outb", (c) => c.outb(0x80, 0xff), "outb 0x80 0xff\n"],
    ["outw", (c) => c.outw(0xcfe, 0x6), "outw 0xcfe 0x6\n"],
    ["outl", (c) => c.outl(0xcf8, 0x8000_0000), "outl 0xcf8 0x80000000\n"],
    ["writeb", (c) => c.writeb(0x2000, 0x5a), "writeb 0x2000 0x5a\n"],
    ["writew", (c) => c.writew(0x2000, 0xbeef), "writew 0x2000 0xbeef\n"],
    ["writel", (c) => c.writel(0xe000_0014, 0x0046_0001), "writel 0xe0000014 0x460001\n"],
    ["writeq", (c) => c.writeq(0xe000_0028, 0x1_0000_0000n), "writeq 0xe0000028 0x100000000\n"],
    ["memset", (c) => c.memset(0x3000, 16, 0xaa), "memset 0x3000 0x10 0xaa\n"],
    ["memset size 0", (c) => c.memset(0x3000, 0, 0), "memset 0x3000 0x0 0x0\n"],
    ["write", (c) => c.write(0x4000, new Uint8Array([0xde, 0xad])), "write 0x4000 0x2 0xdead\n"],
    ["b64write", (c) => c.b64write(0x4000, new Uint8Array([0, 1, 2, 3])), "b64write 0x4000 0x4 AAECAw==\n"],
    ["irq_intercept_in", (c) => c.irqInterceptIn("ioapic"), "irq_intercept_in ioapic\n"],
    ["irq_intercept_out", (c) => c.irqInterceptOut("/machine/dev"), "irq_intercept_out /machine/dev\n"],
    [
      "irq_intercept_out named",
      (c) => c.irqInterceptOut("/machine/dev", "irq-out"),
      "irq_intercept_out /machine/dev irq-out\n",
    ],
    [
      "set_irq_in",
      (c) => c.setIrqIn("/machine/dev", "unnamed-gpio-in", 3, true),
      "set_irq_in /machine/dev unnamed-gpio-in 0x3 0x1\n",
    ],
  ])("%s", async (_name, call, line) => {
    const { sent } = await exchange(call, "OK");
    expect(sent).toBe(line);
  });

  it.each<[string, (client: QtestClient) => Promise<unknown>, string, string]>([
    ["inb", (c) => c.inb(0x60), "inb 0x60\n", "OK 0x0000000000000000"],
    ["inw", (c) => c.inw(0x1f0), "inw 0x1f0\n", "OK 0x0000000000000000"],
    ["inl", (c) => c.inl(0xcfc), "inl 0xcfc\n", "OK 0x0000000000000000"],
    ["readb", (c) => c.readb(0x1000), "readb 0x1000\n", "OK 0x0000000000000000"],
    ["readw", (c) => c.readw(0x1000n), "readw 0x1000\n", "OK 0x0000000000000000"],
    ["readl", (c) => c.readl(0xe000_0008), "readl 0xe0000008\n", "OK 0x0000000000000000"],
    ["readq", (c) => c.readq(0xe000_0000n), "readq 0xe0000000\n", "OK 0x0000000000000000"],
    ["read", (c) => c.read(0x4000, 2), "read 0x4000 0x2\n", "OK 0xdead"],
    ["b64read", (c) => c.b64read(0x4000, 4), "b64read 0x4000 0x4\n", "OK AAECAw=="],
    ["clock_step without a step", (c) => c.clockStep(), "clock_step\n", "OK 1000"],
    ["clock_step with a step", (c) => c.clockStep(1000n), "clock_step 0x3e8\n", "OK 1000"],
    ["clock_set", (c) => c.clockSet(5000), "clock_set 0x1388\n", "OK 5000"],
    ["endianness", (c) => c.endianness(), "endianness\n", "OK little"],
  ])("%s", async (_name, call, line, reply) => {
    const { sent } = await exchange(call, reply);
    expect(sent).toBe(line);
  });
});

describe("typed results", () => {
  it("readq returns all 64 bits as a bigint", async () => {
    expect((await exchange((c) => c.readq(0), "OK 0x004018200f0107ff")).result).toBe(0x0040_1820_0f01_07ffn);
  });

  it("readl returns a number", async () => {
    expect((await exchange((c) => c.readl(8), "OK 0x0000000000010400")).result).toBe(0x10400);
  });

  it("inl returns a number", async () => {
    expect((await exchange((c) => c.inl(0xcfc), "OK 0x29c08086")).result).toBe(0x29c0_8086);
  });

  it("read returns exactly the bytes", async () => {
    expect([...(await exchange((c) => c.read(0, 2), "OK 0xdead")).result]).toEqual([0xde, 0xad]);
  });

  it("b64read returns exactly the bytes", async () => {
    expect([...(await exchange((c) => c.b64read(0, 4), "OK AAECAw==")).result]).toEqual([0, 1, 2, 3]);
  });

  it("clockStep returns the new virtual time in ns", async () => {
    expect((await exchange((c) => c.clockStep(1000n), "OK 1000")).result).toBe(1000n);
  });

  it("endianness returns little or big", async () => {
    expect((await exchange((c) => c.endianness(), "OK little")).result).toBe("little");
  });
});

describe("malformed requests are rejected before sending", () => {
  it.each<[string, (client: QtestClient) => Promise<unknown>, string]>([
    ["a port above 0xffff", (c) => c.outb(0x1_0000, 0), "port"],
    ["an outb value above 0xff", (c) => c.outb(0x80, 0x100), "value"],
    ["an outw value above 0xffff", (c) => c.outw(0x80, 0x1_0000), "value"],
    ["a writel value above 0xffffffff", (c) => c.writel(0, 2 ** 32), "value"],
    ["a negative address", (c) => c.readl(-4), "addr"],
    ["a read of 0 bytes (QEMU asserts)", (c) => c.read(0, 0), "size"],
    ["a b64read of 0 bytes", (c) => c.b64read(0, 0), "size"],
    ["a write of no data (QEMU answers ERR)", (c) => c.write(0, new Uint8Array()), "data.length"],
    ["a b64read that wraps past 2^64", (c) => c.b64read((1n << 64n) - 2n, 4), "addr"],
    ["a memset value above 0xff", (c) => c.memset(0, 1, 0x100), "value"],
    ["a QOM path with a space", (c) => c.irqInterceptIn("/machine/a b"), "qomPath"],
    ["a GPIO name that is empty", (c) => c.setIrqIn("/machine/dev", "", 0, 1), "name"],
  ])("%s", async (_name, call, field) => {
    const { peer, client } = connect();
    const error = await call(client).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(QtestRequestError);
    expect(error).toMatchObject({ field });
    await flush();
    expect(peer.written).toEqual([]);
  });
});

describe("reply handling", () => {
  it("takes IRQ lines out of the reply stream into the level table", async () => {
    const { peer, client } = connect();
    const value = client.readl(0);
    await peer.waitForWrites(1);
    peer.send("IRQ raise 3\nOK 0x0000000000000007\n");
    expect(await value).toBe(7);
    expect(client.irq.isRaised(3)).toBe(true);
  });

  it("answers pipelined requests in the order they were sent", async () => {
    const { peer, client } = connect();
    const results = Promise.all([client.inb(1), client.inb(2), client.inb(3)]);
    await peer.waitForWrites(3);
    peer.send("OK 0x0a\nOK 0x0b\nOK 0x0c\n");
    expect(await results).toEqual([0x0a, 0x0b, 0x0c]);
    expect(peer.output).toBe("inb 0x1\ninb 0x2\ninb 0x3\n");
  });

  it("rejects a FAIL reply with QtestCommandFailedError and keeps the connection usable", async () => {
    const { peer, client } = connect();
    const failed = client.clockStep(1n).catch((caught: unknown) => caught);
    await peer.waitForWrites(1);
    peer.send("FAIL Unknown command 'clock_step'\n");
    const error = await failed;
    expect(error).toBeInstanceOf(QtestCommandFailedError);
    expect(error).toMatchObject({ request: "clock_step 0x1", reply: "FAIL Unknown command 'clock_step'" });
    const next = client.inb(0x60);
    await peer.waitForWrites(2);
    peer.send("OK 0x00\n");
    expect(await next).toBe(0);
  });

  it("irqLevel makes a round trip so IRQ lines sent before it are counted", async () => {
    const { peer, client } = connect();
    const level = client.irqLevel(5);
    await peer.waitForWrites(1);
    peer.send("IRQ raise 5\nOK little\n");
    expect(await level).toBe(true);
  });
});

describe("bulk transfers", () => {
  it("memRead splits into pipelined b64reads of bulkChunkBytes and joins the bytes", async () => {
    const { peer, client } = connect({ bulkChunkBytes: 4 });
    const data = client.memRead(0x1000n, 10);
    await peer.waitForWrites(3);
    expect(peer.output).toBe("b64read 0x1000 0x4\nb64read 0x1004 0x4\nb64read 0x1008 0x2\n");
    peer.send("OK AAECAw==\nOK BAUGBw==\nOK CAk=\n");
    expect([...(await data)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("memWrite splits into pipelined b64writes of bulkChunkBytes", async () => {
    const { peer, client } = connect({ bulkChunkBytes: 4 });
    const done = client.memWrite(0x1000n, new Uint8Array([0, 1, 2, 3, 4, 5]));
    await peer.waitForWrites(2);
    expect(peer.output).toBe("b64write 0x1000 0x4 AAECAw==\nb64write 0x1004 0x2 BAU=\n");
    peer.send("OK\nOK\n");
    await done;
  });

  it("memRead of 0 bytes sends nothing", async () => {
    const { peer, client } = connect();
    expect((await client.memRead(0n, 0)).length).toBe(0);
    expect(peer.written).toEqual([]);
  });
});
