// docs/vfio-user.md, "Serving your own controller profile": examples/serve-own-profile.ts run as a
// user runs it (its own process, its own state directory), stock QEMU's vfio-user-pci attached to
// its socket through @bplab/qtest's QemuTarget, and the host driver checking that the guest meets
// that project's drive: its Identify values and its quirk switches, not the lab defaults.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NvmeHostDriver } from "@bplab/host";
import { BpWriteProtectionState, CommitAction } from "@bplab/nvme-spec";
import { createQemuTarget, type QemuTarget } from "@bplab/qtest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { qemuBinary, qemuSkipReason } from "./helpers/qemu.js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const EXAMPLE = join(packageDir, "examples", "serve-own-profile.ts");
const BP_SIZE_BYTES = 256 * 1024;
const GRANULE = 32 * 1024;

/** Starts the example and resolves once it says it listens (it must, before QEMU connects). */
async function startExample(socketPath: string, stateDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", EXAMPLE, socketPath, stateDir], {
    cwd: packageDir,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("listening on")) resolve();
    });
    child.once("exit", (code) =>
      reject(new Error(`the example exited (${code}) before listening: ${output}`)),
    );
  });
  return child;
}

describe.skipIf(qemuSkipReason !== undefined)("example: serving your own controller profile", () => {
  let workDir: string;
  let example: ChildProcess;
  let target: QemuTarget;
  let driver: NvmeHostDriver;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), "bplab-own-profile-"));
    const socketPath = join(workDir, "acme.sock");
    example = await startExample(socketPath, join(workDir, "state"));
    const device = { driver: "vfio-user-pci", id: "vu0", socket: { type: "unix", path: socketPath } };
    target = await createQemuTarget({
      binary: (qemuBinary as { path: string }).path,
      accel: "qtest",
      device: async () => ({ name: "acme", args: ["-device", JSON.stringify(device)] }),
    });
    driver = await NvmeHostDriver.attach(target);
  });

  afterAll(async () => {
    await target?.close();
    if (example && example.exitCode === null) {
      example.kill("SIGTERM");
      await once(example, "exit");
    }
    await rm(workDir, { recursive: true, force: true });
  });

  it("shows the project's Identify values instead of the lab defaults", async () => {
    const identify = await driver.identifyController();
    expect({ sn: identify.sn, mn: identify.mn, fr: identify.fr, fwug: identify.fwug }).toEqual({
      sn: "ACME-0001",
      mn: "ACME BootSafe 1",
      fr: "AC1.0",
      fwug: 0x08,
    });
  });

  it("keeps the vendor rule that a Commit CA=110b needs a full image (1h/1Eh otherwise)", async () => {
    // Write Locked is the power-up state (MC-20); unlocked, the spec profile would zero-fill a short
    // image and succeed (MC-21), so a refusal here is the project's quirk switch at work.
    expect((await driver.setBpLock(1, BpWriteProtectionState.WriteUnlocked)).ok).toBe(true);
    const short = new Uint8Array(GRANULE).fill(0xa5);
    expect((await driver.firmwareImageDownload(short, GRANULE)).ok).toBe(true);
    const refused = await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1);
    expect(refused.status).toBe("1h/1Eh");

    const image = new Uint8Array(BP_SIZE_BYTES).map((_, index) => (index * 7) & 0xff);
    expect((await driver.firmwareImageDownload(image, GRANULE)).ok).toBe(true);
    expect((await driver.firmwareCommit(CommitAction.ReplaceBootPartition, 1)).status).toBe("0h/00h");
    const back = await driver.bpReadViaLog(1, 0, BP_SIZE_BYTES);
    expect(Buffer.compare(back.data, image)).toBe(0);
  });

  it("switches the vendor's broken BPRSEL path back on: a register read succeeds", async () => {
    const read = await driver.bpReadViaRegisters(1, 0, 4096);
    expect(read.status).toBe("BRS=10b");
    expect([...read.data.subarray(0, 4)]).toEqual([0, 7, 14, 21]);
  });

  it("stops cleanly on SIGTERM, as its usage line promises", async () => {
    await target.close();
    example.kill("SIGTERM");
    const [code] = await once(example, "exit");
    expect(code).toBe(0);
  });
});
