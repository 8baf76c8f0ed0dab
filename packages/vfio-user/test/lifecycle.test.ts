// Clients come and go; the device stays (MC-69): a socket close loses nothing, a new client after
// the previous one is a power cycle, one client at a time, and a client that vanishes in the middle
// of a message leaves nothing behind.
import { RegisterOffset } from "@bplab/nvme-spec";
import { afterEach, expect, it } from "vitest";
import { MessageFlag } from "../src/index.js";
import { getInfoRequest, le, regionReadRequest, regionWriteRequest } from "../src/testing/index.js";
import { type Harness, headerOf, RawClient, startHarness } from "./helpers/raw-client.js";

let h: Harness;
afterEach(async () => {
  await h.close();
});

const AQA = BigInt(RegisterOffset.AQA);

async function setAqa(client: RawClient, value: number): Promise<void> {
  await client.request(regionWriteRequest(1, 0, AQA, le.u32(value)));
}
async function aqa(client: RawClient): Promise<number> {
  return (await client.request(regionReadRequest(2, 0, AQA, 4))).readUInt32LE(32);
}

it("a socket close loses nothing: the controller keeps its registers while no client is connected", async () => {
  h = await startHarness();
  const client = await h.client();
  await setAqa(client, 0x000f000f);
  client.close();
  await h.server.whenDisconnected();
  expect(h.server.connected).toBe(false);
  expect(h.server.controller.mmioRead32(RegisterOffset.AQA)).toBe(0x000f000f);
});

it("a new client after the previous one is a power cycle: volatile registers read 0 (MC-69)", async () => {
  h = await startHarness();
  const first = await h.client();
  await setAqa(first, 0x000f000f);
  first.close();
  await h.server.whenDisconnected();
  expect(await aqa(await h.client())).toBe(0);
});

it("with powerCycleOnNewClient off, a reconnect keeps the volatile state too", async () => {
  h = await startHarness({ powerCycleOnNewClient: false });
  const first = await h.client();
  await setAqa(first, 0x000f000f);
  first.close();
  await h.server.whenDisconnected();
  expect(await aqa(await h.client())).toBe(0x000f000f);
});

it("serves one client at a time: a second connection is closed, the first keeps working", async () => {
  h = await startHarness();
  const first = await h.client();
  const second = await RawClient.connect(h.path);
  await second.closed();
  expect(headerOf(await first.request(getInfoRequest(3))).flags).toBe(MessageFlag.Reply);
  expect(h.server.stats.refusedClients).toBe(1);
});

it("a client that vanishes in the middle of a message leaves the server ready for the next", async () => {
  h = await startHarness();
  const first = await h.client();
  first.send(getInfoRequest(4).subarray(0, 10));
  first.close();
  await h.server.whenDisconnected();
  const next = await h.client();
  expect(headerOf(await next.request(getInfoRequest(5)))).toMatchObject({ id: 5, flags: MessageFlag.Reply });
});

it("without fd passing the server says loudly that interrupts are off, and still serves", async () => {
  h = await startHarness({ fdPassing: "off" });
  expect(h.server.passesFds).toBe(false);
  expect(h.logs.join("\n")).toMatch(/INTERRUPTS ARE OFF/);
  const client = await h.client();
  expect(headerOf(await client.request(getInfoRequest(6))).flags).toBe(MessageFlag.Reply);
  h.server.irqs.assert(0);
  expect(h.server.stats.interruptsDropped).toBe(1);
});
