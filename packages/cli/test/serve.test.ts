// bplab serve: a state directory served over vfio-user with a control socket beside it.
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { runServe, startServe } from "../src/commands/serve.js";
import { memoryIo } from "../src/io.js";
import { bplab, tempDir } from "./cli-support.js";

let dir: ReturnType<typeof tempDir>;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => dir.remove());

/** Sends request lines on a fresh control connection and returns the first `count` reply lines. */
async function control(socketPath: string, requests: string[], count = requests.length): Promise<string[]> {
  const socket = connect(socketPath);
  socket.setEncoding("utf8");
  let text = "";
  socket.write(`${requests.join("\n")}\n`);
  await new Promise<void>((resolve) => {
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (text.split("\n").length > count) resolve();
    });
  });
  socket.destroy();
  return text.split("\n").slice(0, count);
}

it("serves a state directory: status names it, profile and trace come from the options", async () => {
  const state = join(dir.path, "state");
  const trace = join(dir.path, "trace.jsonl");
  const handle = await startServe(
    { socket: join(dir.path, "nvme.sock"), state, bpsz: 128 * 1024, profile: "vendor-full-image", trace },
    () => {},
  );
  try {
    expect(handle.controlSocket).toBe(join(dir.path, "nvme.sock.control"));
    const [status = "", cycled] = await control(handle.controlSocket, [
      '{"id":1,"op":"status"}',
      '{"id":2,"op":"power-cycle"}',
    ]);
    expect(JSON.parse(status)).toMatchObject({
      id: 1,
      ok: true,
      status: { profile: "vendor-full-image", state, socket: join(dir.path, "nvme.sock"), connected: false },
    });
    expect(cycled).toBe('{"id":2,"ok":true}');
  } finally {
    await handle.close();
    await handle.close();
  }
  expect(readFileSync(trace, "utf8")).toContain('"kind":"power-cycle"');
  expect(existsSync(join(dir.path, "nvme.sock"))).toBe(false);
  expect(existsSync(handle.controlSocket)).toBe(false);
  // The state directory was released: a second server opens it again.
  const again = await startServe({ socket: join(dir.path, "nvme.sock"), state }, () => {});
  await again.close();
});

it("runServe prints where it serves and stops cleanly", async () => {
  const io = memoryIo();
  const stop = new AbortController();
  const socket = join(dir.path, "s.sock");
  const running = runServe(io, { socket, state: join(dir.path, "state"), bpsz: 128 * 1024 }, stop.signal);
  while (!existsSync(`${socket}.control`)) await new Promise((resolve) => setTimeout(resolve, 10));
  stop.abort();
  await running;
  expect(io.stdout()).toMatch(
    /^serving .*state on .*s\.sock \(control: .*s\.sock\.control, fd passing (on|OFF: no interrupts)\)\nstopped \(stopped\)\n$/,
  );
});

it("refuses a missing state directory (exit 1) and an unknown profile (exit 2)", async () => {
  const missing = await bplab(
    "serve",
    "--socket",
    join(dir.path, "x.sock"),
    "--state",
    join(dir.path, "none"),
  );
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain("does not exist");
  const badProfile = await bplab("serve", "--socket", "x", "--state", "y", "--profile", "acme");
  expect(badProfile.code).toBe(2);
  expect(badProfile.stderr).toContain("--profile");
});
