// Serve a state directory as an NVMe function with a controller profile of your own, on a temporary
// socket, and speak vfio-user's first message (VERSION) to it over a raw socket, as QEMU's
// vfio-user-pci does: no QEMU needed. examples/serve-own-profile.ts is the version to point QEMU at.
// scratch-deps: @bplab/controller
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStateDir } from "@bplab/controller/storage";
import { Command, isReply, MessageParser, startVfioUserServer } from "@bplab/vfio-user";
import { versionRequest } from "@bplab/vfio-user/testing";

const dir = mkdtempSync(join(tmpdir(), "vfio-user-example-"));
const state = openStateDir(join(dir, "state"), { create: { bpSizeBytes: 256 * 1024 } });
const socketPath = join(dir, "nvme.sock");
const server = await startVfioUserServer({
  socketPath,
  store: { bootPartitions: state.bootPartitions, namespace: state.namespace },
  quirks: "vendor-full-image",
  config: { serialNumber: "ACME-0001", modelNumber: "ACME BootSafe 1", fwug: 0x08 },
  fdPassing: "off", // a raw client passes no guest-memory fds
});
assert.equal(server.controller.config.serialNumber, "ACME-0001");

const socket = createConnection(socketPath);
socket.write(versionRequest(1));
const parser = new MessageParser();
let reply;
for await (const chunk of socket) {
  [reply] = parser.push(chunk);
  if (reply) break; // leaving the loop closes the socket
}
assert.ok(isReply(reply.header) && reply.header.command === Command.Version && reply.header.id === 1);
assert.equal(reply.header.error, 0);
assert.deepEqual([reply.bytes.readUInt16LE(16), reply.bytes.readUInt16LE(18)], [0, 0]); // major, minor
const { capabilities } = JSON.parse(reply.bytes.subarray(20, -1).toString("utf8")); // NUL-terminated
assert.ok(capabilities.max_data_xfer_size > 0);

await server.close();
state.close();
rmSync(dir, { recursive: true, force: true });
console.log(
  `ok @bplab/vfio-user: VERSION 0.0 answered, max_data_xfer_size ${capabilities.max_data_xfer_size}`,
);
