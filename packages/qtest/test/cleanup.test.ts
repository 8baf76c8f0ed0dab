// No orphans: a Node process that dies with a QEMU running takes its QEMU with it, whether it is
// interrupted (SIGINT, SIGTERM: the signal hooks) or killed outright (SIGKILL: setpriv's pdeathsig).
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { qemuChildProcesses } from "../src/cleanup.js";
import { hasQemu } from "./helpers/qemu.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/hold-qemu.ts", import.meta.url));

/** Starts the fixture and resolves with it and the pid of the QEMU it launched. */
function holdQemu(): Promise<{ child: ChildProcess; qemuPid: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split("\n")[0];
      if (output.includes("\n") && line) resolve({ child, qemuPid: Number(line) });
    });
    child.once("exit", (code) => reject(new Error(`the fixture exited early (${code}): ${output}`)));
  });
}

/** True while `pid` runs (a zombie waiting for a reaper does not run). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Resolves once `pid` has stopped running; the kernel ends it asynchronously after its owner died. */
async function stopped(pid: number): Promise<void> {
  while (running(pid)) await new Promise((resolve) => setTimeout(resolve, 25));
}

describe.skipIf(!hasQemu)("clean-up when the owning process dies (real QEMU)", () => {
  it.each(["SIGINT", "SIGTERM", "SIGKILL"] as const)("%s to the owner also ends its QEMU", async (signal) => {
    const { child, qemuPid } = await holdQemu();
    expect(running(qemuPid)).toBe(true);
    // pgrep sees the QEMU as the owner's child: the check the conformance tests make at the end.
    expect(qemuChildProcesses(child.pid).map((line) => Number(line.split(" ")[0]))).toEqual([qemuPid]);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
    await stopped(qemuPid);
    expect(running(qemuPid)).toBe(false);
  });
});
