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
  findQemuBinary,
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
 * Stock QEMU 10.2.2 (the unpatched build) proves no patch is needed; without it the patched build
 * serves too, since the series only touches hw/nvme, and the test says which one ran.
 */
async function chooseBinary(): Promise<{ path: string; note: string }> {
  try {
    return { path: (await findUnpatchedQemuBinary()).path, note: "stock QEMU 10.2.2" };
  } catch (error) {
    const patched = await findQemuBinary();
    return { path: patched.path, note: `the patched build (no unpatched one: ${(error as Error).message})` };
  }
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

export interface VfioQemuTarget extends Target {
  readonly server: VfioUserNvmeServer;
  readonly qemu: QemuInstance;
  readonly bar0: bigint;
  /** The function as libqos-lite found it (config access, BARs, MSI-X). */
  readonly pci: PciDevice;
}

export async function createVfioQemuTarget(options: {
  memfd: boolean;
  server?: Omit<VfioUserServerOptions, "socketPath">;
}): Promise<VfioQemuTarget> {
  const dir = await mkdtemp(join(tmpdir(), "bplab-vfio-user-"));
  const socketPath = join(dir, "vfio-user.sock");
  const server = await startVfioUserServer({ ...options.server, socketPath });
  const device = { driver: "vfio-user-pci", id: "vu0", socket: { type: "unix", path: socketPath } };
  const args = ["-device", JSON.stringify(device)];
  if (options.memfd)
    args.push(
      "-object",
      `memory-backend-memfd,id=mem,size=${GUEST_RAM},share=on`,
      "-machine",
      "memory-backend=mem",
    );
  let qemu: QemuInstance;
  try {
    if ("skip" in qemuBinary) throw new Error(qemuBinary.skip);
    qemu = await launchQemu({
      binary: qemuBinary.path,
      machine: "q35",
      accel: "qtest",
      memory: GUEST_RAM,
      args,
    });
  } catch (error) {
    await server.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const pci = await new PciBus(qemu.qtest, await enableQ35Ecam(qemu.qtest)).findByClass(NVME_CLASS_CODE);
  await pci.assignBars(new PciWindowAllocator());
  await pci.enable({ memory: true, busMaster: true });
  const bar0 = pci.bar(0).address as bigint;
  const allocator = new GuestAllocator(WINDOW_START, WINDOW_START + WINDOW_BYTES);
  const qtest = qemu.qtest;
  return {
    name: options.memfd ? "vfio-user (memfd)" : "vfio-user (DMA messages)",
    server,
    qemu,
    bar0,
    pci,
    mmioRead32: (offset) => qtest.readl(bar0 + BigInt(offset)),
    mmioRead64: (offset) => qtest.readq(bar0 + BigInt(offset)),
    mmioWrite32: (offset, value) => qtest.writel(bar0 + BigInt(offset), value >>> 0),
    mmioWrite64: (offset, value) => qtest.writeq(bar0 + BigInt(offset), value),
    alloc: async (size, align) => allocator.alloc(size, align),
    memRead: (addr, length) => qtest.memRead(addr, length),
    memWrite: (addr, data) => qtest.memWrite(addr, data),
    settle: () => qtest.clockStep(SETTLE_STEP_NS).then(() => undefined),
    powerCycle: async () => server.powerCycle(),
    functionReset: async () => server.functionReset(),
    async close() {
      await qemu.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
