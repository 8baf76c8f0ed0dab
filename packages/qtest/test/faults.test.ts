// Fault handling on a fake QEMU peer: garbage, silence and hang-ups end the connection with a typed
// error; every pending request is rejected and none is left hanging.
import { describe, expect, it } from "vitest";
import {
  ConnectionClosedError,
  QemuExitedError,
  QmpProtocolError,
  QtestProtocolError,
  ReplyTimeoutError,
} from "../src/errors.js";
import { QmpClient } from "../src/qmp/client.js";
import { QtestClient } from "../src/qtest/client.js";
import { QtestConnection, type QtestConnectionOptions } from "../src/qtest/protocol.js";
import { FakePeer, flush } from "./helpers/fake-peer.js";

function connect(options: QtestConnectionOptions = { replyTimeoutMs: 0 }) {
  const peer = new FakePeer();
  const connection = new QtestConnection(peer.stream, options);
  return { peer, connection, client: new QtestClient(connection) };
}

describe("qtest faults", () => {
  it("a garbage line rejects the pending request with QtestProtocolError", async () => {
    const { peer, client } = connect();
    const pending = client.readl(0).catch((error: unknown) => error);
    await peer.waitForWrites(1);
    peer.send("Segmentation fault\n");
    expect(await pending).toBeInstanceOf(QtestProtocolError);
  });

  it("after a garbage line the connection is closed and later requests reject at once", async () => {
    const { peer, client, connection } = connect();
    const pending = client.readl(0).catch(() => undefined);
    await peer.waitForWrites(1);
    peer.send("\u0000\u0001garbage\n");
    await pending;
    expect(connection.isOpen).toBe(false);
    const later = await client.readl(0).catch((error: unknown) => error);
    expect(later).toBeInstanceOf(ConnectionClosedError);
    expect((later as Error).message).toMatch(/not a qtest reply/);
  });

  it("a reply nobody asked for is a protocol error", async () => {
    const { peer, connection } = connect();
    peer.send("OK\n");
    await flush();
    expect(connection.failure).toBeInstanceOf(QtestProtocolError);
  });

  it("a reply time-out rejects with ReplyTimeoutError and closes the connection", async () => {
    const { peer, client, connection } = connect({ replyTimeoutMs: 20 });
    const error = await client.readl(0x1000).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ReplyTimeoutError);
    expect(error).toMatchObject({ code: "REPLY_TIMEOUT", request: "readl 0x1000", timeoutMs: 20 });
    expect(connection.isOpen).toBe(false);
    expect(peer.stream.destroyed).toBe(true);
  });

  it("a late reply after a time-out is not taken as the answer to a new request", async () => {
    const { peer, client } = connect({ replyTimeoutMs: 20 });
    await client.readl(0).catch(() => undefined);
    peer.send("OK 0x0000000000000001\n");
    await expect(client.readl(4)).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it("a hang-up in the middle of a command rejects every pending request", async () => {
    const { peer, client, connection } = connect();
    const pending = [client.inb(1), client.inb(2)].map((call) => call.catch((error: unknown) => error));
    await peer.waitForWrites(2);
    peer.hangUp();
    for (const result of await Promise.all(pending)) expect(result).toBeInstanceOf(ConnectionClosedError);
    expect(connection.pendingCount).toBe(0);
  });

  it("a hang-up reports the error onUnexpectedClose supplies (the launcher's QEMU exit status)", async () => {
    const exit = new QemuExitedError(null, "SIGKILL", "qemu: terminating");
    const { peer, client } = connect({ replyTimeoutMs: 0, onUnexpectedClose: async () => exit });
    const pending = client.readl(0).catch((error: unknown) => error);
    await peer.waitForWrites(1);
    peer.hangUp();
    expect(await pending).toBe(exit);
  });

  it("close() by the client rejects pending requests with ConnectionClosedError", async () => {
    const { peer, client } = connect();
    const pending = client.readl(0).catch((error: unknown) => error);
    await peer.waitForWrites(1);
    client.close();
    expect(await pending).toBeInstanceOf(ConnectionClosedError);
  });
});

describe("QMP faults", () => {
  it("a line that is not JSON ends the connection with QmpProtocolError", async () => {
    const peer = new FakePeer();
    const connecting = QmpClient.connect(peer.stream, { replyTimeoutMs: 0 }).catch((error: unknown) => error);
    peer.send("qemu-system-x86_64: garbage\n");
    expect(await connecting).toBeInstanceOf(QmpProtocolError);
  });

  it("no greeting within the time-out rejects with ReplyTimeoutError", async () => {
    const peer = new FakePeer();
    const error = await QmpClient.connect(peer.stream, { replyTimeoutMs: 20 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ReplyTimeoutError);
    expect(peer.stream.destroyed).toBe(true);
  });
});
