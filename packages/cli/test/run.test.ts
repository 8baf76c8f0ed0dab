// bplab run: the server plus stock QEMU, and nothing left behind however it ends.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { findUnpatchedQemuBinary } from "@bplab/qtest";
import { describe, expect, it } from "vitest";
import { runServerAndQemu, vfioUserQemuArgs } from "../src/commands/run.js";
import { memoryIo } from "../src/io.js";
import { bplab } from "./cli-support.js";

const qemuSkip = await (async () => {
  if (process.env.BPLAB_SKIP_QEMU === "1") return "BPLAB_SKIP_QEMU=1";
  try {
    await findUnpatchedQemuBinary();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
})();
if (qemuSkip) console.warn(`skipping bplab run QEMU tests: ${qemuSkip}`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until `parent` has a child whose command name is QEMU's. */
async function qemuChildOf(parent: number): Promise<number> {
  for (;;) {
    let pids: number[] = [];
    try {
      pids = execFileSync("pgrep", ["-P", String(parent)], { encoding: "utf8" })
        .trim()
        .split("\n")
        .map(Number);
    } catch {
      // No child yet.
    }
    for (const pid of pids) {
      try {
        if (readFileSync(`/proc/${pid}/comm`, "utf8").startsWith("qemu-system")) return pid;
      } catch {
        // setpriv is mid-exec or the child just exited: look again.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function status(controlSocket: string): Promise<{ connected: boolean; passesFds: boolean }> {
  const socket = connect(controlSocket);
  socket.setEncoding("utf8");
  socket.write('{"op":"status"}\n');
  let text = "";
  for await (const chunk of socket) {
    text += chunk;
    if (text.includes("\n")) break;
  }
  socket.destroy();
  return JSON.parse(text).status;
}

it("builds the stock QEMU command line: memfd RAM shared, JSON -device with the socket object", () => {
  expect(vfioUserQemuArgs({ socketPath: "/r/nvme.sock", memory: "512M" })).toEqual([
    ...["-machine", "q35,memory-backend=mem", "-m", "512M"],
    ...["-object", "memory-backend-memfd,id=mem,size=512M,share=on"],
    ...["-device", '{"driver":"vfio-user-pci","id":"vu0","socket":{"type":"unix","path":"/r/nvme.sock"}}'],
    ...[
      "-accel",
      "tcg",
      "-display",
      "none",
      "-nodefaults",
      "-no-reboot",
      "-serial",
      "stdio",
      "-monitor",
      "none",
    ],
  ]);
});

it("refuses a --memory that would add QEMU options", async () => {
  const run = await bplab("run", "--memory", "512M,share=off");
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("--memory: must be a size");
});

describe.skipIf(qemuSkip !== undefined)("with the unpatched QEMU", () => {
  it("QEMU connects to the server; stopping kills QEMU and removes the run directory", async () => {
    const io = memoryIo();
    const stop = new AbortController();
    let started: { qemuPid: number; controlSocket: string } | undefined;
    const running = runServerAndQemu(io, {}, stop.signal, (info) => {
      started = info;
    });
    while (!started) await new Promise((resolve) => setTimeout(resolve, 20));
    // Wait until QEMU has connected and set the device up over the socket.
    while (!(await status(started.controlSocket)).connected) await new Promise((r) => setTimeout(r, 50));
    const seen = await status(started.controlSocket);
    stop.abort();
    const result = await running;
    expect(result.qemuExit).toBe("stopped");
    expect(seen.connected).toBe(true);
    expect(alive(started.qemuPid)).toBe(false);
    expect(existsSync(result.runDir)).toBe(false);
  });

  it("SIGTERM to the bplab process kills QEMU and removes the run directory", async () => {
    const bin = new URL("../src/bin.ts", import.meta.url).pathname;
    const child = spawn(process.execPath, ["--import", "tsx", bin, "run"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    const runDir = await new Promise<string>((resolve) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const found = /"path":"(\/[^"]+)\/nvme\.sock"/.exec(stderr);
        if (found?.[1]) resolve(found[1]);
      });
    });
    // QEMU is the bplab process's only child once setpriv has exec'd it (the log line comes first).
    const qemuPid = await qemuChildOf(child.pid ?? -1);
    expect(alive(qemuPid)).toBe(true);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(alive(qemuPid)).toBe(false);
    expect(existsSync(runDir)).toBe(false);
  });

  it("QEMU failing on its own is exit 1, and nothing is left", async () => {
    const run = await bplab("run", "--", "-no-such-option");
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("QEMU exited with code 1");
  });
});
