// QmpClient on a fake peer: exact JSON out, ids matched, errors typed, events stashed and awaited.
import { describe, expect, it } from "vitest";
import { QmpError, QmpProtocolError, ReplyTimeoutError } from "../src/errors.js";
import { QmpClient } from "../src/qmp/client.js";
import { FakePeer, flush } from "./helpers/fake-peer.js";

// Recorded from QEMU 7.2 (whitespace as QEMU sends it, \r\n framing).
const GREETING =
  '{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian"}, "capabilities": ["oob"]}}\r\n';
const RESET_EVENT =
  '{"timestamp": {"seconds": 1795822224, "microseconds": 479692}, "event": "RESET", "data": {"guest": false, "reason": "host-qmp-system-reset"}}\r\n';

async function connected(replyTimeoutMs = 0): Promise<{ peer: FakePeer; qmp: QmpClient }> {
  const peer = new FakePeer();
  const connecting = QmpClient.connect(peer.stream, { replyTimeoutMs });
  peer.send(GREETING);
  await peer.waitForWrites(1);
  peer.send('{"return": {}, "id": "bplab-1"}\r\n');
  const qmp = await connecting;
  peer.written.length = 0;
  return { peer, qmp };
}

describe("QmpClient", () => {
  it("reads the greeting and sends qmp_capabilities with an id", async () => {
    const peer = new FakePeer();
    const connecting = QmpClient.connect(peer.stream, { replyTimeoutMs: 0 });
    peer.send(GREETING);
    await peer.waitForWrites(1);
    expect(peer.output).toBe('{"execute":"qmp_capabilities","id":"bplab-1"}\n');
    peer.send('{"return": {}, "id": "bplab-1"}\r\n');
    const qmp = await connecting;
    expect(qmp.greeting.capabilities).toEqual(["oob"]);
  });

  it("sends arguments and resolves with the return value", async () => {
    const { peer, qmp } = await connected();
    const result = qmp.execute("qom-get", { path: "/machine/peripheral/nvme0", property: "serial" });
    await peer.waitForWrites(1);
    expect(peer.output).toBe(
      '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/nvme0","property":"serial"},"id":"bplab-2"}\n',
    );
    peer.send('{"return": "bplab-qemu", "id": "bplab-2"}\r\n');
    expect(await result).toBe("bplab-qemu");
  });

  it("turns an error reply into QmpError with class and description", async () => {
    const { peer, qmp } = await connected();
    const result = qmp
      .execute("qom-set", { path: "/x", property: "y", value: true })
      .catch((error: unknown) => error);
    await peer.waitForWrites(1);
    peer.send(
      '{"id": "bplab-2", "error": {"class": "DeviceNotFound", "desc": "Device \'/x\' not found"}}\r\n',
    );
    const error = await result;
    expect(error).toBeInstanceOf(QmpError);
    expect(error).toMatchObject({ code: "QMP_ERROR", command: "qom-set", errorClass: "DeviceNotFound" });
  });

  it("matches replies to commands by id, whatever their order", async () => {
    const { peer, qmp } = await connected();
    const first = qmp.execute("query-status");
    const second = qmp.execute("query-name");
    await peer.waitForWrites(2);
    peer.send(
      '{"return": {"name": "b"}, "id": "bplab-3"}\r\n{"return": {"status": "a"}, "id": "bplab-2"}\r\n',
    );
    expect(await first).toEqual({ status: "a" });
    expect(await second).toEqual({ name: "b" });
  });

  it("stashes an event that arrives before anyone waits and hands it to waitEvent", async () => {
    const { peer, qmp } = await connected();
    peer.send(RESET_EVENT);
    await flush();
    expect(qmp.events().map((event) => event.event)).toEqual(["RESET"]);
    const event = await qmp.waitEvent("RESET");
    expect(event.data).toEqual({ guest: false, reason: "host-qmp-system-reset" });
    expect(event.timestamp).toEqual({ seconds: 1795822224, microseconds: 479692 });
    expect(qmp.events()).toEqual([]);
  });

  it("waitEvent resolves when the event arrives later", async () => {
    const { peer, qmp } = await connected();
    const waiting = qmp.waitEvent("DEVICE_DELETED");
    peer.send(
      '{"event": "DEVICE_DELETED", "data": {"device": "nvme0", "path": "/machine/peripheral/nvme0"}}\r\n',
    );
    expect((await waiting).data).toMatchObject({ device: "nvme0" });
  });

  it("waitEvent skips other events, which stay stashed", async () => {
    const { peer, qmp } = await connected();
    const waiting = qmp.waitEvent("RESET");
    peer.send('{"event": "STOP"}\r\n');
    peer.send(RESET_EVENT);
    expect((await waiting).event).toBe("RESET");
    expect(qmp.events().map((event) => event.event)).toEqual(["STOP"]);
  });

  it("waitEvent rejects with ReplyTimeoutError when the event never comes", async () => {
    const { qmp } = await connected();
    await expect(qmp.waitEvent("RESET", 20)).rejects.toBeInstanceOf(ReplyTimeoutError);
  });

  it("a reply with an unknown id is a protocol error", async () => {
    const { peer, qmp } = await connected();
    const pending = qmp.execute("query-status").catch((error: unknown) => error);
    await peer.waitForWrites(1);
    peer.send('{"return": {}, "id": "someone-else"}\r\n');
    expect(await pending).toBeInstanceOf(QmpProtocolError);
    expect(qmp.isOpen).toBe(false);
  });

  it("rejects an empty command name without sending", async () => {
    const { peer, qmp } = await connected();
    await expect(qmp.execute("")).rejects.toMatchObject({ code: "INVALID_ARGUMENT", field: "command" });
    expect(peer.written).toEqual([]);
  });
});
