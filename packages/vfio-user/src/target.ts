/**
 * The third scenario target: this package's server hosting the TS controller, stock QEMU's
 * `vfio-user-pci` in front of it, and qtest driving the function exactly as it drives the patched
 * `nvme` device (@bplab/qtest's launcher and libqos-lite: same machine, same RAM size, same
 * host-memory window at 4 GiB, same BAR placement), so every observation that holds an address
 * (BPMBL, ASQ) matches the other targets. Resets follow the QEMU target: functionReset is QMP
 * `system_reset` (QEMU sends DEVICE_RESET, MC-40) and powerCycle is a new QEMU process, which the
 * server treats as a power cycle (MC-69). The server runs in this process on a ManualScheduler
 * that settle() runs, so device work happens between host steps exactly as on the other targets.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ManualScheduler } from "@bplab/controller";
import {
  DEFAULT_FLAT_MEMORY_BASE,
  DEFAULT_TARGET_BP_SIZE_BYTES,
  type Target,
  type TargetCapabilities,
  type TargetFactory,
  TargetUnsupportedError,
} from "@bplab/host";
import { RegisterOffset } from "@bplab/nvme-spec";
import {
  checkRamAccess,
  DEFAULT_HOST_MEMORY_BYTES,
  DEFAULT_SETTLE_STEP_NS,
  enableQ35Ecam,
  findUnpatchedQemuBinary,
  GuestAllocator,
  type LaunchOptions,
  launchQemu,
  PciBus,
  type PciDevice,
  PciWindowAllocator,
  type QemuInstance,
  UNMAPPED_HOST_ADDRESS,
} from "@bplab/qtest";
import { NVME_CLASS_CODE } from "./pci/config-space.js";
import { startVfioUserServer, type VfioUserNvmeServer, type VfioUserServerOptions } from "./server/host.js";

const run = promisify(execFile);

/** The same guest RAM as the QEMU target, so the 256 MiB window at 4 GiB is RAM on q35. */
const GUEST_MEMORY = "4G";
const DEVICE_ID = "vu0";

export interface VfioUserTargetOptions {
  /** QEMU with `vfio-user-pci` (default: the stock build, findUnpatchedQemuBinary()). */
  binary?: string;
  /** Server options (store, config, quirks, log); the socket path and scheduler are the target's own. */
  server?: Omit<VfioUserServerOptions, "socketPath" | "scheduler">;
  settleStepNs?: bigint;
}

/** QEMU's stock `vfio-user-pci` on a VfioUserNvmeServer that outlives QEMU restarts. */
export class VfioUserTarget implements Target {
  readonly name = "vfio-user";
  readonly allocator = new GuestAllocator(
    DEFAULT_FLAT_MEMORY_BASE,
    DEFAULT_FLAT_MEMORY_BASE + BigInt(DEFAULT_HOST_MEMORY_BYTES),
  );
  private qemu: QemuInstance | undefined;
  private pciDevice!: PciDevice;
  private bar0 = 0n;
  private closed = false;

  private constructor(
    readonly server: VfioUserNvmeServer,
    private readonly launchOptions: LaunchOptions,
    private readonly workDir: string,
    private readonly settleStepNs: bigint,
    private readonly scheduler: ManualScheduler,
  ) {}

  static async create(options: VfioUserTargetOptions = {}): Promise<VfioUserTarget> {
    const binary = options.binary ?? (await findVfioUserQemu());
    const workDir = await mkdtemp(join(tmpdir(), "bplab-vfio-user-target-"));
    const socketPath = join(workDir, "vfio-user.sock");
    let server: VfioUserNvmeServer | undefined;
    try {
      const scheduler = new ManualScheduler();
      server = await startVfioUserServer({ log: () => undefined, ...options.server, socketPath, scheduler });
      const device = { driver: "vfio-user-pci", id: DEVICE_ID, socket: { type: "unix", path: socketPath } };
      const launchOptions: LaunchOptions = {
        binary,
        machine: "q35",
        accel: "qtest",
        memory: GUEST_MEMORY,
        args: ["-device", JSON.stringify(device)],
      };
      const target = new VfioUserTarget(
        server,
        launchOptions,
        workDir,
        options.settleStepNs ?? DEFAULT_SETTLE_STEP_NS,
        scheduler,
      );
      await target.launch();
      return target;
    } catch (error) {
      await server?.close();
      await rm(workDir, { recursive: true, force: true });
      throw error;
    }
  }

  get capabilities(): TargetCapabilities {
    return { restartProcess: true, rpmbMode: false, unmappedAddress: UNMAPPED_HOST_ADDRESS };
  }

  /** The running QEMU (replaced by a power cycle). */
  get instance(): QemuInstance {
    return this.running();
  }
  get device(): PciDevice {
    return this.pciDevice;
  }
  get bar0Address(): bigint {
    return this.bar0;
  }

  mmioRead32(offset: number): Promise<number> {
    return this.running().qtest.readl(this.bar0 + BigInt(offset));
  }
  mmioRead64(offset: number): Promise<bigint> {
    return this.running().qtest.readq(this.bar0 + BigInt(offset));
  }
  mmioWrite32(offset: number, value: number): Promise<void> {
    return this.running().qtest.writel(this.bar0 + BigInt(offset), value >>> 0);
  }
  mmioWrite64(offset: number, value: bigint): Promise<void> {
    return this.running().qtest.writeq(this.bar0 + BigInt(offset), value);
  }
  async alloc(size: number, align?: number): Promise<bigint> {
    return this.allocator.alloc(size, align);
  }
  /** Host memory is guest RAM: an access outside it, or across a hole, is a GuestMemoryRangeError. */
  async memRead(addr: bigint, length: number): Promise<Uint8Array> {
    const qemu = this.running();
    checkRamAccess(qemu.ramRanges, addr, length);
    return qemu.qtest.memRead(addr, length);
  }
  async memWrite(addr: bigint, data: Uint8Array): Promise<void> {
    const qemu = this.running();
    checkRamAccess(qemu.ramRanges, addr, data?.length, "data.length");
    return qemu.qtest.memWrite(addr, data);
  }
  /**
   * Runs the device work the controller deferred (BP reads, commands), as the core's settle() does,
   * then steps QEMU's virtual clock so its timers and the MSI writes the work raised land.
   */
  async settle(): Promise<void> {
    const qemu = this.running();
    // QEMU posts BAR writes (no reply): a register read is answered only after the server has
    // handled every write before it, so the work runs after, not before, the host's last write.
    await qemu.qtest.readl(this.bar0 + BigInt(RegisterOffset.VS));
    this.scheduler.runUntilIdle();
    await qemu.qtest.clockStep(this.settleStepNs);
  }

  /**
   * MC-69: a new QEMU process is a new client, which the server treats as a power cycle. Host
   * memory is not part of the device, so live allocations are copied out and back in, as on qemu.
   */
  async powerCycle(): Promise<void> {
    const saved = await Promise.all(
      this.allocator
        .allocations()
        .map(async ({ address, size }) => ({ address, data: await this.memRead(address, size) })),
    );
    await this.running().close();
    this.qemu = undefined;
    await this.server.whenDisconnected();
    await this.launch();
    await Promise.all(saved.map(({ address, data }) => this.memWrite(address, data)));
  }

  /** MC-40: QMP `system_reset`; QEMU sends DEVICE_RESET (a Controller Level Reset), PCI is redone. */
  async functionReset(): Promise<void> {
    const { qmp } = this.running();
    qmp.clearEvents();
    await qmp.execute("system_reset");
    await qmp.waitEvent("RESET");
    await this.setupPci();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.qemu?.close();
    } finally {
      await this.server.close();
      await rm(this.workDir, { recursive: true, force: true });
    }
  }

  private running(): QemuInstance {
    if (this.closed || !this.qemu) throw new TargetUnsupportedError("the vfio-user target is closed");
    return this.qemu;
  }

  private async launch(): Promise<void> {
    this.qemu = await launchQemu(this.launchOptions);
    await this.setupPci();
  }

  /** Finds the NVMe function, places its BARs (same addresses every time), enables MEM|MASTER. */
  private async setupPci(): Promise<void> {
    const qtest = this.running().qtest;
    const device = await new PciBus(qtest, await enableQ35Ecam(qtest)).findByClass(NVME_CLASS_CODE);
    await device.assignBars(new PciWindowAllocator());
    await device.enable({ memory: true, busMaster: true });
    this.pciDevice = device;
    this.bar0 = device.bar(0).address as bigint;
  }
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

export function createVfioUserTarget(options: VfioUserTargetOptions = {}): Promise<VfioUserTarget> {
  return VfioUserTarget.create(options);
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
