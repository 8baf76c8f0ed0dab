/**
 * The third scenario target: this package's server hosting the TS controller, stock QEMU's
 * `vfio-user-pci` in front of it, and qtest driving the function exactly as it drives the patched
 * `nvme` device: it is @bplab/qtest's QemuTarget with the server supplied as its device (same
 * machine, RAM size, host-memory window at 4 GiB and BAR placement), so every observation that holds an address
 * (BPMBL, ASQ) matches the other targets. Resets follow the QEMU target: functionReset is QMP
 * `system_reset` (QEMU sends DEVICE_RESET, MC-40) and powerCycle is a new QEMU process, which the
 * server treats as a power cycle (MC-69). The server runs in this process on a ManualScheduler
 * that settle() runs, so device work happens between host steps exactly as on the other targets.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ManualScheduler } from "@bplab/controller";
import { DEFAULT_TARGET_BP_SIZE_BYTES, type TargetFactory, TargetUnsupportedError } from "@bplab/host";
import { RegisterOffset } from "@bplab/nvme-spec";
import {
  createQemuTarget,
  findUnpatchedQemuBinary,
  type QemuTarget,
  type QemuTargetDevice,
  type SharedRamMode,
} from "@bplab/qtest";
import { startVfioUserServer, type VfioUserNvmeServer, type VfioUserServerOptions } from "./server/host.js";

const run = promisify(execFile);
const DEVICE_ID = "vu0";

export interface VfioUserTargetOptions {
  /** QEMU with `vfio-user-pci` (default: the stock build, findUnpatchedQemuBinary()). */
  binary?: string;
  /** Server options (store, config, quirks, log); the socket path and scheduler are the target's own. */
  server?: Omit<VfioUserServerOptions, "socketPath" | "scheduler">;
  settleStepNs?: bigint;
  /**
   * Guest RAM as a shared, fd-backed backend (default "auto": on where the launcher can) or "off":
   * anonymous RAM, so QEMU passes no fd and every DMA travels as a DMA_READ/DMA_WRITE message.
   */
  sharedRam?: SharedRamMode;
}

/** @bplab/qtest's QemuTarget with this package's server as its device; the server outlives QEMU restarts. */
export type VfioUserTarget = QemuTarget & { readonly server: VfioUserNvmeServer };
/** `VfioUserTarget.create(options)`, as before the target became a QemuTarget. */
export const VfioUserTarget = { create: createVfioUserTarget };

/**
 * The server as a QemuTarget device: `vfio-user-pci` on a socket in the target's work directory.
 * settle() first reads VS (QEMU posts BAR writes without a reply, so the read returns only after
 * the server has handled every earlier write), then runs the controller's deferred work; a power
 * cycle waits for the server to see the old client go, so the new QEMU is a new client (MC-69).
 */
async function startServerDevice(
  workDir: string,
  binary: string,
  options: VfioUserTargetOptions["server"],
): Promise<QemuTargetDevice & { server: VfioUserNvmeServer }> {
  const socketPath = join(workDir, "vfio-user.sock");
  const scheduler = new ManualScheduler();
  const server = await startVfioUserServer({ log: () => undefined, ...options, socketPath, scheduler });
  const device = { driver: "vfio-user-pci", id: DEVICE_ID, socket: { type: "unix", path: socketPath } };
  return {
    name: "vfio-user",
    id: DEVICE_ID,
    server,
    binary,
    args: ["-device", JSON.stringify(device)],
    async settle(target) {
      await target.mmioRead32(RegisterOffset.VS);
      scheduler.runUntilIdle();
    },
    betweenProcesses: () => server.whenDisconnected(),
    close: () => server.close(),
  };
}

/**
 * The stock QEMU this target needs: one with `vfio-user-pci`. None is TargetUnsupportedError with
 * the build command, so a runner reports the scenarios as skipped instead of failing each one.
 */
export async function findVfioUserQemu(binary?: string): Promise<string> {
  let path: string;
  try {
    path = (await findUnpatchedQemuBinary(binary === undefined ? {} : { binary })).path;
  } catch (error) {
    throw new TargetUnsupportedError((error as Error).message);
  }
  const { stdout } = await run(path, ["-device", "help"]);
  if (!stdout.includes('"vfio-user-pci"'))
    throw new TargetUnsupportedError(`${path} has no vfio-user-pci device`);
  return path;
}

/**
 * Starts the server, then stock QEMU in front of it on @bplab/qtest's QemuTarget: same machine
 * (q35, qtest accelerator), RAM, host-memory window, BAR placement and resets as the qemu target.
 */
export async function createVfioUserTarget(options: VfioUserTargetOptions = {}): Promise<VfioUserTarget> {
  const binary = options.binary ?? (await findVfioUserQemu());
  let server: VfioUserNvmeServer | undefined;
  const target = await createQemuTarget({
    machine: "q35",
    accel: "qtest",
    ...(options.settleStepNs === undefined ? {} : { settleStepNs: options.settleStepNs }),
    ...(options.sharedRam === undefined ? {} : { sharedRam: options.sharedRam }),
    device: async (workDir) => {
      const device = await startServerDevice(workDir, binary, options.server);
      server = device.server;
      return device;
    },
  });
  return Object.assign(target, { server: server as VfioUserNvmeServer });
}

/** One fresh server + QEMU per scenario, sized as the scenario asks; RPMB is core-only (MC-34). */
export function createVfioUserTargetFactory(base: VfioUserTargetOptions = {}): TargetFactory {
  return async (request) => {
    if (request.rpmb) {
      throw new TargetUnsupportedError(
        "the vfio-user target runs the controller without RPMB-controlled BP write protection, like qemu (MC-34)",
      );
    }
    const bpSizeBytes = request.bpSizeBytes ?? base.server?.bpSizeBytes ?? DEFAULT_TARGET_BP_SIZE_BYTES;
    return createVfioUserTarget({ ...base, server: { ...base.server, bpSizeBytes } });
  };
}
