/**
 * QEMU's unmodified `vfio-user-pci` device backed by a VfioUserNvmeServer, as a host Target: the
 * test listens first, QEMU connects at realize, libqos-lite enumerates the function and places
 * BAR0, and MMIO / guest memory go through qtest.
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Target } from "@bplab/host";
import {
  enableQ35Ecam,
  findUnpatchedQemuBinary,
  GuestAllocator,
  launchQemu,
  PciBus,
  type PciDevice,
  PciWindowAllocator,
  type QemuInstance,
} from "@bplab/qtest";
import {
  NVME_CLASS_CODE,
  startVfioUserServer,
  type VfioUserNvmeServer,
  type VfioUserServerOptions,
} from "../../src/index.js";

/**
 * Stock QEMU 10.2.2 (the unpatched build of @bplab/qemu-patches, or BPLAB_QEMU_UNPATCHED) proves
 * that the device needs no patch; without it the tests skip and say how to build it.
 */
async function chooseBinary(): Promise<{ path: string; note: string }> {
  // Its error already names what was tried and the build command.
  return { path: (await findUnpatchedQemuBinary()).path, note: "stock QEMU 10.2.2" };
}

/** The QEMU binary, or why the QEMU tests skip. */
export const qemuBinary: { path: string; note: string } | { skip: string } = await (async () => {
  if (process.env.BPLAB_SKIP_QEMU === "1") return { skip: "BPLAB_SKIP_QEMU=1" };
  try {
    const binary = await chooseBinary();
    const devices = execFileSync(binary.path, ["-device", "help"], { encoding: "utf8" });
    return devices.includes('"vfio-user-pci"')
      ? binary
      : { skip: `${binary.path} has no vfio-user-pci device` };
  } catch (error) {
    return { skip: (error as Error).message };
  }
})();
export const qemuSkipReason = "skip" in qemuBinary ? qemuBinary.skip : undefined;
if ("path" in qemuBinary)
  console.info(`[vfio-user] QEMU end-to-end tests run ${qemuBinary.note}: ${qemuBinary.path}`);
if (qemuSkipReason) console.warn(`[vfio-user] skipping QEMU end-to-end tests: ${qemuSkipReason}`);

const GUEST_RAM = "512M";
/** Host memory the driver allocates from: guest RAM above the first 16 MiB. */
const WINDOW_START = 0x100_0000n;
const WINDOW_BYTES = 0x400_0000n;
const SETTLE_STEP_NS = 1_000_000n;

/** QEMU's vfio-user-pci on a server that outlives it, as a host Target. */
export class VfioQemuTarget implements Target {
  readonly name: string;
  private current!: { qemu: QemuInstance; pci: PciDevice; bar0: bigint };
  private readonly allocator = new GuestAllocator(WINDOW_START, WINDOW_START + WINDOW_BYTES);

  constructor(
    readonly server: VfioUserNvmeServer,
    private readonly socketPath: string,
    private readonly dir: string,
    private readonly memfd: boolean,
  ) {
    this.name = memfd ? "vfio-user (memfd)" : "vfio-user (DMA messages)";
  }

  get qemu(): QemuInstance {
    return this.current.qemu;
  }
  /** The function as libqos-lite found it (config access, BARs, MSI-X). */
  get pci(): PciDevice {
    return this.current.pci;
  }
  get bar0(): bigint {
    return this.current.bar0;
  }

  /** Starts QEMU against the server (already listening) and sets the function up. */
  async launch(): Promise<void> {
    if ("skip" in qemuBinary) throw new Error(qemuBinary.skip);
    const device = { driver: "vfio-user-pci", id: "vu0", socket: { type: "unix", path: this.socketPath } };
    const args = ["-device", JSON.stringify(device)];
    if (this.memfd)
      args.push(
        "-object",
        `memory-backend-memfd,id=mem,size=${GUEST_RAM},share=on`,
        "-machine",
        "memory-backend=mem",
      );
    // Default (anonymous) RAM means no fds, so DMA goes through messages: turn off the launcher's
    // shared RAM file, which would hand QEMU an fd-backed backend.
    const qemu = await launchQemu({
      ...(this.memfd ? {} : { sharedRam: "off" as const }),
      binary: qemuBinary.path,
      machine: "q35",
      accel: "qtest",
      memory: GUEST_RAM,
      args,
    });
    this.current = { qemu, ...(await setupFunction(qemu)) };
  }

  /** QMP system_reset: QEMU sends DEVICE_RESET; the PCI setup is redone as after any reset. */
  async systemReset(): Promise<void> {
    const { qmp } = this.current.qemu;
    qmp.clearEvents();
    await qmp.execute("system_reset");
    await qmp.waitEvent("RESET");
    this.current = { qemu: this.current.qemu, ...(await setupFunction(this.current.qemu)) };
  }

  /** A new QEMU process on the same server: a new client (MC-69). */
  async restartQemu(): Promise<void> {
    await this.current.qemu.close();
    await this.server.whenDisconnected();
    await this.launch();
  }

  mmioRead32 = (offset: number) => this.qemu.qtest.readl(this.bar0 + BigInt(offset));
  mmioRead64 = (offset: number) => this.qemu.qtest.readq(this.bar0 + BigInt(offset));
  mmioWrite32 = (offset: number, value: number) =>
    this.qemu.qtest.writel(this.bar0 + BigInt(offset), value >>> 0);
  mmioWrite64 = (offset: number, value: bigint) => this.qemu.qtest.writeq(this.bar0 + BigInt(offset), value);
  alloc = async (size: number, align?: number) => this.allocator.alloc(size, align);
  memRead = (addr: bigint, length: number) => this.qemu.qtest.memRead(addr, length);
  memWrite = (addr: bigint, data: Uint8Array) => this.qemu.qtest.memWrite(addr, data);
  settle = async () => {
    await this.qemu.qtest.clockStep(SETTLE_STEP_NS);
  };
  powerCycle = async () => this.server.powerCycle();
  functionReset = async () => this.server.functionReset();

  async close(): Promise<void> {
    await this.current?.qemu.close();
    await this.server.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Finds the NVMe function, places BAR0, enables memory decoding and bus mastering (for DMA). */
async function setupFunction(qemu: QemuInstance): Promise<{ pci: PciDevice; bar0: bigint }> {
  const pci = await new PciBus(qemu.qtest, await enableQ35Ecam(qemu.qtest)).findByClass(NVME_CLASS_CODE);
  await pci.assignBars(new PciWindowAllocator());
  await pci.enable({ memory: true, busMaster: true });
  return { pci, bar0: pci.bar(0).address as bigint };
}

export async function createVfioQemuTarget(options: {
  memfd: boolean;
  server?: Omit<VfioUserServerOptions, "socketPath">;
}): Promise<VfioQemuTarget> {
  const dir = await mkdtemp(join(tmpdir(), "bplab-vfio-user-"));
  const socketPath = join(dir, "vfio-user.sock");
  const server = await startVfioUserServer({ ...options.server, socketPath });
  const target = new VfioQemuTarget(server, socketPath, dir, options.memfd);
  try {
    await target.launch();
  } catch (error) {
    await server.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return target;
}
