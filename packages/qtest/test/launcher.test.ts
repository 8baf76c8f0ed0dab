// The launcher against a real QEMU: start, QMP events, clean close, crashes, kills and time-outs.
// Every test checks that no QEMU process and no temp dir outlives it.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { reapOrphans, registryDir } from "../src/cleanup.js";
import {
  ConnectionClosedError,
  ConnectTimeoutError,
  QemuExitedError,
  ReplyTimeoutError,
} from "../src/errors.js";
import { launchQemu, type QemuInstance } from "../src/launcher.js";
import { hasQemu, processExists, qemuBinary } from "./helpers/qemu.js";

const started: QemuInstance[] = [];

async function start(options: Parameters<typeof launchQemu>[0] = {}): Promise<QemuInstance> {
  const qemu = await launchQemu(options);
  started.push(qemu);
  return qemu;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((qemu) => qemu.close()));
});

function expectGone(qemu: QemuInstance): void {
  expect(processExists(qemu.pid)).toBe(false);
  expect(existsSync(qemu.tempDir)).toBe(false);
  expect(existsSync(join(registryDir(), `${qemu.pid}.json`))).toBe(false);
}

describe.skipIf(!hasQemu)("launcher (real QEMU)", () => {
  it("starts QEMU with a working qtest link and says which binary and accelerator it used", async () => {
    const qemu = await start();
    console.info(
      `[qtest] QEMU ${qemu.binary.path} (${qemu.binary.source}), ${qemu.version}, accel ${qemu.accel}`,
    );
    expect(qemu.binary.path).toBe(qemuBinary?.path);
    expect(await qemu.qtest.endianness()).toBe("little");
    expect(qemu.argv).toEqual(
      expect.arrayContaining(["-qtest-log", "none", "-nodefaults", "-display", "none"]),
    );
  });

  it("delivers the QMP RESET event after system_reset", async () => {
    const qemu = await start();
    await qemu.qmp.execute("system_reset");
    const event = await qemu.qmp.waitEvent("RESET");
    expect(event.data).toMatchObject({ guest: false });
  });

  it("runs the pc machine too", async () => {
    const qemu = await start({ machine: "pc" });
    const status = await qemu.qmp.execute<{ status: string }>("query-status");
    expect(["running", "prelaunch", "paused"]).toContain(status.status);
    expect(qemu.machine).toBe("pc");
  });

  it("close() kills QEMU and removes its temp dir and registry entry", async () => {
    const qemu = await start();
    expect(processExists(qemu.pid)).toBe(true);
    await qemu.close();
    expectGone(qemu);
  });

  it("QEMU killed in the middle of a command: the pending request rejects with the exit, resources are freed", async () => {
    const qemu = await start();
    qemu.kill("SIGSTOP");
    const pending = qemu.qtest.readl(0).catch((error: unknown) => error);
    qemu.kill("SIGKILL");
    const error = await pending;
    expect(error).toBeInstanceOf(QemuExitedError);
    expect(error).toMatchObject({ code: "QEMU_EXITED", signal: "SIGKILL" });
    await qemu.exited;
    await qemu.close();
    expectGone(qemu);
    await expect(qemu.qtest.readl(0)).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it("a QEMU that never answers gives ReplyTimeoutError", async () => {
    // The reply timeout also covers the launcher's own start-up requests (QMP handshake, the guest
    // RAM layout and probe), which on a loaded 2-core CI machine took longer than 200 ms once.
    const qemu = await start({ replyTimeoutMs: 2000 });
    qemu.kill("SIGSTOP");
    await expect(qemu.qtest.readl(0)).rejects.toBeInstanceOf(ReplyTimeoutError);
    await qemu.close();
    expectGone(qemu);
  });

  it("a QEMU that exits at start-up gives QemuExitedError with the tail of its stderr", async () => {
    const error = await launchQemu({ args: ["-device", "no-such-device-bplab"] }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(QemuExitedError);
    expect((error as QemuExitedError).stderrTail).toContain("no-such-device-bplab");
    expect((error as Error).message).toContain("no-such-device-bplab");
  });
});

describe("launcher without a real QEMU", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a binary that never connects gives ConnectTimeoutError and is killed", async () => {
    dir = mkdtempSync(join(tmpdir(), "bplab-fake-qemu-"));
    const fake = join(dir, "qemu-system-x86_64");
    // Answers the version/accelerator probes like QEMU, then just sleeps instead of connecting.
    writeFileSync(
      fake,
      '#!/bin/sh\ncase "$1 $2" in\n"--version ") echo "QEMU emulator version 0.0 (fake)";;\n"-machine none") exit 1;;\n' +
        '"-accel help") echo "Accelerators supported in QEMU binary:"; echo tcg;;\n*) sleep 60;;\nesac\n',
    );
    chmodSync(fake, 0o755);
    const error = await launchQemu({ binary: fake, connectTimeoutMs: 300 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConnectTimeoutError);
    expect(error).toMatchObject({ code: "CONNECT_TIMEOUT", timeoutMs: 300 });
    // The script (its path is on its command line) and its sleep child are gone.
    expect(pgrep(fake)).toBe("");
  });

  it("reapOrphans kills a recorded process whose owner is dead", async () => {
    dir = mkdtempSync(join(tmpdir(), "bplab-qemu-orphan-"));
    // The temp dir appears on the command line, which is how the reaper knows the pid is ours.
    const orphan = spawn("sh", ["-c", "sleep 60; :", dir], { detached: true, stdio: "ignore" });
    const deadOwner = spawn("true");
    await new Promise((resolve) => deadOwner.once("exit", resolve));
    const pid = orphan.pid as number;
    const entry = { pid, ownerPid: deadOwner.pid, runId: undefined, tempDir: dir, startedAt: "" };
    mkdirSync(registryDir(), { recursive: true });
    writeFileSync(join(registryDir(), `${pid}.json`), JSON.stringify(entry));
    const exited = new Promise((resolve) => orphan.once("exit", resolve));
    expect(reapOrphans()).toBeGreaterThanOrEqual(1);
    await exited;
    expect(processExists(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(join(registryDir(), `${pid}.json`))).toBe(false);
  });
});

function pgrep(pattern: string): string {
  try {
    return execFileSync("pgrep", ["-f", pattern], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}
