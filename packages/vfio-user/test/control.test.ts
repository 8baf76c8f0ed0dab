// The control channel, byte for byte: raw request lines in, exact reply lines out. Every field is
// validated before anything reaches the device; every refusal carries a typed code.
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createMemoryStore } from "@bplab/controller";
import { RegisterOffset } from "@bplab/nvme-spec";
import { afterEach, beforeEach, expect, it } from "vitest";
import {
  type ControlServer,
  FaultInjector,
  InjectedFaultError,
  startControlServer,
  startVfioUserServer,
  type VfioUserNvmeServer,
} from "../src/index.js";

let dir: string;
let server: VfioUserNvmeServer;
let control: ControlServer;
let faults: FaultInjector;
const sockets: Socket[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "bplab-control-"));
  faults = new FaultInjector();
  const store = createMemoryStore({ bpSizeBytes: 128 * 1024 });
  server = await startVfioUserServer({
    socketPath: join(dir, "nvme.sock"),
    store: { bootPartitions: faults.wrapBootPartitions(store.bootPartitions) },
    fdPassing: "off",
    log: () => {},
  });
  control = await startControlServer({ socketPath: join(dir, "control.sock"), server, faults });
});

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await control.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A control client that hands back each line it receives, in order. */
async function client(): Promise<{ send(text: string): void; line(): Promise<string> }> {
  const socket = connect(join(dir, "control.sock"));
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  let buffered = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffered += chunk;
    for (let at = buffered.indexOf("\n"); at >= 0; at = buffered.indexOf("\n")) {
      const line = buffered.slice(0, at);
      buffered = buffered.slice(at + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  return {
    send: (text) => socket.write(text),
    line: () => {
      const next = lines.shift();
      return next !== undefined ? Promise.resolve(next) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

async function ask(request: string): Promise<string> {
  const c = await client();
  c.send(`${request}\n`);
  return c.line();
}

it.each([
  ["not json", '{"id":null,"ok":false,"error":{"code":"CONTROL_BAD_JSON","message":"the line is not JSON"}}'],
  [
    "[1,2]",
    '{"id":null,"ok":false,"error":{"code":"CONTROL_BAD_JSON","message":"the request must be a JSON object"}}',
  ],
  [
    '{"id":7,"op":"reboot"}',
    '{"id":7,"ok":false,"error":{"code":"CONTROL_UNKNOWN_OP","message":"op: must be one of status, power-cycle, quirk-profile, inject-fault, clear-faults, trace-subscribe, trace-unsubscribe"}}',
  ],
  [
    '{"id":1.5,"op":"status"}',
    '{"id":null,"ok":false,"error":{"code":"CONTROL_BAD_FIELD","message":"id: must be a string of at most 256 characters, a safe integer or null"}}',
  ],
  [
    '{"id":"a","op":"status","force":true}',
    '{"id":"a","ok":false,"error":{"code":"CONTROL_BAD_FIELD","message":"force: is not a field of status"}}',
  ],
  [
    '{"id":2,"op":"quirk-profile","profile":"acme"}',
    '{"id":2,"ok":false,"error":{"code":"CONTROL_BAD_FIELD","message":"profile: must be one of spec, vendor-full-image"}}',
  ],
  [
    '{"id":3,"op":"inject-fault","fault":"bp-commit-error","count":0}',
    '{"id":3,"ok":false,"error":{"code":"CONTROL_BAD_FIELD","message":"count: must be an integer from 1 to 1000000"}}',
  ],
  [
    '{"id":4,"op":"inject-fault","fault":"power-loss"}',
    '{"id":4,"ok":false,"error":{"code":"CONTROL_BAD_FIELD","message":"fault: must be one of bp-commit-error, bp-stage-error, namespace-write-error"}}',
  ],
])("refuses %s with a typed error", async (request, reply) => {
  expect(await ask(request)).toBe(reply);
});

it("status reports the device, its profile, locks and faults", async () => {
  const status = JSON.parse(await ask('{"id":"s","op":"status"}'));
  expect(status).toMatchObject({
    id: "s",
    ok: true,
    status: {
      connected: false,
      passesFds: false,
      profile: "spec",
      lockStates: { bp0: expect.any(Number), bp1: expect.any(Number) },
      faults: { armed: {}, fired: {} },
    },
  });
});

it("power-cycle returns volatile registers to power-on values (MC-69)", async () => {
  server.controller.mmioWrite32(RegisterOffset.AQA, 0x000f000f);
  expect(await ask('{"id":1,"op":"power-cycle"}')).toBe('{"id":1,"ok":true}');
  expect(server.controller.mmioRead32(RegisterOffset.AQA)).toBe(0);
});

it("quirk-profile switches the live controller's switches", async () => {
  expect(await ask('{"op":"quirk-profile","profile":"vendor-full-image"}')).toBe(
    '{"id":null,"ok":true,"profile":"vendor-full-image"}',
  );
  expect(server.controller.quirks.commitRequiresFullImage).toBe(true);
  expect(JSON.parse(await ask('{"op":"status"}')).status.profile).toBe("vendor-full-image");
});

it("inject-fault arms store faults that fire once each", async () => {
  expect(await ask('{"id":9,"op":"inject-fault","fault":"bp-stage-error","count":2}')).toBe(
    '{"id":9,"ok":true,"faults":{"armed":{"bp-stage-error":2},"fired":{}}}',
  );
  const check = () => faults.check("bp-stage-error", "staging");
  expect(check).toThrow(InjectedFaultError);
  expect(check).toThrow(InjectedFaultError);
  expect(check).not.toThrow();
  expect(await ask('{"op":"clear-faults"}')).toBe('{"id":null,"ok":true}');
});

it("trace-subscribe streams the controller's events on that connection only", async () => {
  const c = await client();
  c.send('{"id":1,"op":"trace-subscribe"}\n');
  expect(await c.line()).toBe('{"id":1,"ok":true}');
  c.send('{"id":2,"op":"power-cycle"}\n');
  const event = JSON.parse(await c.line());
  expect(event.event.kind).toBe("power-cycle");
  let next = await c.line();
  while (next.startsWith('{"event"')) next = await c.line();
  expect(next).toBe('{"id":2,"ok":true}');
  c.send('{"id":3,"op":"trace-unsubscribe"}\n{"id":4,"op":"power-cycle"}\n');
  expect(await c.line()).toBe('{"id":3,"ok":true}');
  expect(await c.line()).toBe('{"id":4,"ok":true}');
});

it("closes a connection whose line outgrows the limit, after one error reply", async () => {
  const c = await client();
  c.send("x".repeat(70 * 1024));
  expect(await c.line()).toBe(
    '{"id":null,"ok":false,"error":{"code":"CONTROL_LINE_TOO_LONG","message":"a request line is at most 65536 bytes"}}',
  );
});
