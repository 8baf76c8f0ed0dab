/**
 * A Target over a real QEMU `nvme` device, so the host driver and the scenario suite run
 * unchanged against QEMU: MMIO is readl/writel/readq/writeq on BAR0, host memory is guest RAM
 * through the shared RAM file (b64read/b64write when it is off), and resets go through QMP.
 */
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_FLAT_MEMORY_BASE } from "@bplab/host";
import { BOOT_PARTITION_COUNT, BOOT_PARTITION_UNIT_BYTES } from "@bplab/nvme-spec";
import { InvalidArgumentError } from "../errors.js";
import { type Accel, type LaunchOptions, launchQemu, type Machine, type QemuInstance } from "../launcher.js";
import type { TraceListener } from "../line-transport.js";
import { checkRamAccess } from "../qtest/guest-ram.js";
import type { SharedRamMode } from "../shared-ram.js";
import type { Target, TargetCapabilities } from "../target.js";
import { DEFAULT_ALLOC_ALIGN, GuestAllocator, parseQemuMemorySize } from "./alloc.js";
import { PciBus, PciWindowAllocator } from "./pci.js";
import { enableQ35Ecam, type PciConfigAccess, PioConfigAccess } from "./pci-config.js";
import { NVME_PCI_CLASS_CODE } from "./pci-constants.js";
import type { MsixVector, PciDevice } from "./pci-device.js";

export const BOOTPART_PROPERTY = "bootpart";
/**
 * The patched device keeps ABPID in an optional metadata block of 4 KiB after the two BPs (see
 * docs/qemu.md, "The device"; a block of zeroes is a fresh image with BP 0 active). Without it ABPID
 * reads 0 after every QEMU start, so a restart power cycle would lose a nonvolatile field (MC-41,
 * MC-42). This is QEMU's image format, not an NVMe quantity, hence not in @bplab/nvme-spec.
 */
export const BOOTPART_METADATA_BYTES = 4 * 1024;

/** Size of a fresh `bootpart` image: BP0, BP1, then the ABPID metadata block. */
export function bootPartitionImageBytes(bpSizeBytes: number): number {
  return bpSizeBytes * BOOT_PARTITION_COUNT + BOOTPART_METADATA_BYTES;
}
const DEFAULT_DEVICE_ID = "nvme0";
/**
 * Guest RAM and the host-memory window. The window mirrors the in-process target's FlatMemory
 * (base 4 GiB), so observations that contain host addresses (BPMBL, ASQ) are identical on both
 * targets and every 64-bit register and PRP carries a non-zero upper dword. 4 GiB of RAM puts at
 * least 512 MiB above 4 GiB on q35 and pc; QEMU maps guest RAM lazily, so untouched RAM costs nothing.
 */
const DEFAULT_MEMORY = "4G";
export const DEFAULT_HOST_MEMORY_BYTES = 256 * 1024 * 1024;
/** A guest-physical page far above RAM (512 GiB): DMA there fails (MC-7's BRS=11b scenario). */
export const UNMAPPED_HOST_ADDRESS = 1n << 39n;
const RAM_PROBE = new Uint8Array([0x62, 0x70, 0x6c, 0x61, 0x62, 0x2d, 0x71, 0x74]);
const DEFAULT_NAMESPACE_BYTES = 4 * 1024 * 1024;
/** One settle() step of the virtual clock under the qtest accelerator (1 ms). */
export const DEFAULT_SETTLE_STEP_NS = 1_000_000n;

export interface QemuTargetOptions {
  binary?: string;
  machine?: Machine;
  memory?: string;
  accel?: "auto" | Accel;
  /** Configuration access: ECAM on q35, 0xCF8/0xCFC on pc, unless forced. */
  configAccess?: "auto" | "pio" | "ecam";
  /** QOM id of the nvme device (`/machine/peripheral/<id>`). */
  deviceId?: string;
  serial?: string;
  /** Extra nvme device properties, e.g. `{ mdts: 7 }`. */
  deviceProperties?: Readonly<Record<string, string | number | boolean>>;
  /** Size of a raw namespace image (0: a controller without namespaces). */
  namespaceBytes?: number;
  /**
   * Boot partitions: an existing image (both BPs, BP0 first, optionally the 4 KiB ABPID metadata
   * block) or a size per BP for a fresh zeroed one, created with the metadata block
   * (bootPartitionImageBytes). Needs the patched QEMU (the `bootpart` drive property).
   */
  bootPartition?: { image?: string; bpSizeBytes?: number; property?: string };
  /** Where alloc() hands out host memory; default: 256 MiB at 4 GiB (see DEFAULT_MEMORY). */
  hostMemory?: { base: bigint; sizeBytes: number };
  /** Program the MSI-X table after every (re)start. */
  msixVectors?: readonly MsixVector[];
  settleStepNs?: bigint;
  connectTimeoutMs?: number;
  replyTimeoutMs?: number;
  trace?: TraceListener;
  /** Guest RAM through a shared file (default `auto`) or b64 over the socket (`off`); see LaunchOptions. */
  sharedRam?: SharedRamMode;
  /**
   * Drive another NVMe device than the `nvme` one built from namespaceBytes, bootPartition, serial,
   * deviceId and deviceProperties (which it excludes): e.g. @bplab/vfio-user's server behind stock
   * QEMU's `vfio-user-pci`. Launcher, PCI setup, MMIO, host memory and resets stay this target's.
   */
  device?: QemuDeviceSupplier;
}

/** A device QemuTarget drives in place of the `nvme` device it builds itself. */
export interface QemuTargetDevice {
  /** The Target name scenario reports show (default "qemu"). */
  readonly name?: string;
  /** Its QOM id (`/machine/peripheral/<id>`, see qomPath). */
  readonly id?: string;
  /** The QEMU arguments that create the device (`-device`, `-object`, ...). */
  readonly args: readonly string[];
  /** The QEMU this device needs (default: the `binary` option, else the launcher's choice). */
  readonly binary?: string;
  /** In settle(), before the clock step: e.g. run the work a device in this process deferred. */
  settle?(target: QemuTarget): Promise<void>;
  /** In powerCycle() and restart(), after the old QEMU has exited and before the new one starts. */
  betweenProcesses?(): Promise<void>;
  /** In close() (and when create() fails), after QEMU has exited. */
  close?(): Promise<void>;
}

/**
 * Makes the device before QEMU starts, in the target's work directory (removed by close()), so a
 * device that QEMU connects to (a socket) is listening when QEMU realizes it.
 */
export type QemuDeviceSupplier = (workDir: string) => Promise<QemuTargetDevice>;

/** The options that describe the built-in `nvme` device, so a supplied device cannot take them. */
const NVME_DEVICE_OPTIONS = [
  "namespaceBytes",
  "bootPartition",
  "serial",
  "deviceId",
  "deviceProperties",
] as const;

function checkOptions(options: QemuTargetOptions): void {
  const { namespaceBytes, bootPartition } = options;
  if (options.device !== undefined) {
    const nvmeOption = NVME_DEVICE_OPTIONS.find((name) => options[name] !== undefined);
    if (nvmeOption !== undefined) {
      throw new InvalidArgumentError(
        nvmeOption,
        "describes the built-in nvme device; a supplied device brings its own",
        options[nvmeOption],
      );
    }
  }
  if (namespaceBytes !== undefined && (!Number.isSafeInteger(namespaceBytes) || namespaceBytes < 0)) {
    throw new InvalidArgumentError("namespaceBytes", "must be a non-negative integer", namespaceBytes);
  }
  const bpSize = bootPartition?.bpSizeBytes;
  if (
    bpSize !== undefined &&
    (!Number.isSafeInteger(bpSize) || bpSize <= 0 || bpSize % BOOT_PARTITION_UNIT_BYTES)
  ) {
    throw new InvalidArgumentError(
      "bootPartition.bpSizeBytes",
      "must be a positive multiple of 128 KiB",
      bpSize,
    );
  }
  if (bootPartition && bootPartition.image === undefined && bpSize === undefined) {
    throw new InvalidArgumentError("bootPartition", "needs an image or a bpSizeBytes", bootPartition);
  }
  const window = options.hostMemory;
  if (
    window &&
    (typeof window.base !== "bigint" || window.base < 0n || window.base % BigInt(DEFAULT_ALLOC_ALIGN))
  ) {
    throw new InvalidArgumentError("hostMemory.base", "must be a page-aligned bigint", window.base);
  }
  if (window && (!Number.isSafeInteger(window.sizeBytes) || window.sizeBytes < DEFAULT_ALLOC_ALIGN)) {
    throw new InvalidArgumentError(
      "hostMemory.sizeBytes",
      "must be an integer of at least one page",
      window.sizeBytes,
    );
  }
}

function deviceArgument(properties: Record<string, string | number | boolean>): string {
  return Object.entries(properties)
    .map(([key, value]) =>
      key === "driver" ? String(value) : `${key}=${value === true ? "on" : value === false ? "off" : value}`,
    )
    .join(",");
}

/** The `-drive`/`-device` arguments of the built-in `nvme` device, its images made in workDir. */
async function nvmeDeviceArgs(options: QemuTargetOptions, workDir: string): Promise<string[]> {
  const device: Record<string, string | number | boolean> = {
    driver: "nvme",
    id: options.deviceId ?? DEFAULT_DEVICE_ID,
    serial: options.serial ?? "bplab-qemu",
  };
  const args: string[] = [];
  const namespaceBytes = options.namespaceBytes ?? DEFAULT_NAMESPACE_BYTES;
  if (namespaceBytes > 0) {
    const image = join(workDir, "namespace.img");
    await writeFile(image, "");
    await truncate(image, namespaceBytes);
    args.push("-drive", `if=none,id=ns0,format=raw,file=${image}`);
    device.drive = "ns0";
  }
  if (options.bootPartition) {
    let image = options.bootPartition.image;
    if (image === undefined) {
      image = join(workDir, "bootpart.img");
      await writeFile(image, "");
      // With the metadata block, so ABPID survives a restart power cycle (MC-41, MC-42).
      await truncate(image, bootPartitionImageBytes(options.bootPartition.bpSizeBytes as number));
    }
    args.push("-drive", `if=none,id=bp0,format=raw,file=${image}`);
    device[options.bootPartition.property ?? BOOTPART_PROPERTY] = "bp0";
  }
  Object.assign(device, options.deviceProperties);
  args.push("-device", deviceArgument(device));
  return args;
}

export class QemuTarget implements Target {
  readonly name: string;
  private qemu: QemuInstance;
  private pciDevice!: PciDevice;
  private bar0 = 0n;
  private closed = false;

  private constructor(
    private readonly launchOptions: LaunchOptions,
    private readonly options: QemuTargetOptions,
    private readonly hooks: QemuTargetDevice,
    private readonly workDir: string,
    readonly allocator: GuestAllocator,
    qemu: QemuInstance,
  ) {
    this.name = hooks.name ?? "qemu";
    this.qemu = qemu;
  }

  static async create(options: QemuTargetOptions = {}): Promise<QemuTarget> {
    checkOptions(options);
    const memory = options.memory ?? DEFAULT_MEMORY;
    parseQemuMemorySize(memory);
    const window = options.hostMemory ?? {
      base: DEFAULT_FLAT_MEMORY_BASE,
      sizeBytes: DEFAULT_HOST_MEMORY_BYTES,
    };
    const workDir = await mkdtemp(join(tmpdir(), "bplab-qemu-target-"));
    let device: QemuTargetDevice | undefined;
    try {
      device = options.device
        ? await options.device(workDir)
        : { args: await nvmeDeviceArgs(options, workDir) };
      const binary = device.binary ?? options.binary;
      const launchOptions: LaunchOptions = {
        machine: options.machine ?? "q35",
        memory,
        args: device.args,
        ...(binary === undefined ? {} : { binary }),
        ...(options.accel === undefined ? {} : { accel: options.accel }),
        ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
        ...(options.replyTimeoutMs === undefined ? {} : { replyTimeoutMs: options.replyTimeoutMs }),
        ...(options.trace === undefined ? {} : { trace: options.trace }),
        ...(options.sharedRam === undefined ? {} : { sharedRam: options.sharedRam }),
      };
      const qemu = await launchQemu(launchOptions);
      const allocator = new GuestAllocator(window.base, window.base + BigInt(window.sizeBytes));
      const target = new QemuTarget(launchOptions, options, device, workDir, allocator, qemu);
      await Promise.all([target.setupPci(), target.checkHostMemory()]).catch(async (error) => {
        await qemu.close();
        throw error;
      });
      return target;
    } catch (error) {
      try {
        await device?.close?.();
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
      throw error;
    }
  }

  get capabilities(): TargetCapabilities {
    return {
      restartProcess: true,
      rpmbMode: false,
      unmappedAddress: UNMAPPED_HOST_ADDRESS,
    };
  }

  /** The running QEMU (replaced by a restart). */
  get instance(): QemuInstance {
    return this.qemu;
  }

  get device(): PciDevice {
    return this.pciDevice;
  }

  /** Guest-physical address of BAR0 (the NVMe registers). */
  get bar0Address(): bigint {
    return this.bar0;
  }

  get qomPath(): string {
    return `/machine/peripheral/${this.hooks.id ?? this.options.deviceId ?? DEFAULT_DEVICE_ID}`;
  }

  mmioRead32(offset: number): Promise<number> {
    return this.qemu.qtest.readl(this.bar0 + BigInt(offset));
  }
  mmioRead64(offset: number): Promise<bigint> {
    return this.qemu.qtest.readq(this.bar0 + BigInt(offset));
  }
  mmioWrite32(offset: number, value: number): Promise<void> {
    return this.qemu.qtest.writel(this.bar0 + BigInt(offset), value >>> 0);
  }
  mmioWrite64(offset: number, value: bigint): Promise<void> {
    return this.qemu.qtest.writeq(this.bar0 + BigInt(offset), value);
  }

  async alloc(size: number, align = DEFAULT_ALLOC_ALIGN): Promise<bigint> {
    return this.allocator.alloc(size, align);
  }
  /** Host memory is guest RAM: an access outside it, or across a hole, is a GuestMemoryRangeError. */
  async memRead(addr: bigint, length: number): Promise<Uint8Array> {
    checkRamAccess(this.qemu.ramRanges, addr, length);
    return this.qemu.qtest.memRead(addr, length);
  }
  async memWrite(addr: bigint, data: Uint8Array): Promise<void> {
    checkRamAccess(this.qemu.ramRanges, addr, data?.length, "data.length");
    return this.qemu.qtest.memWrite(addr, data);
  }

  /**
   * Under the qtest accelerator the virtual clock only moves when told, so a step lets timers
   * fire; under tcg the clock runs by itself and one round trip lets QEMU's main loop turn.
   */
  async settle(): Promise<void> {
    await this.hooks.settle?.(this);
    if (this.qemu.accel === "qtest")
      await this.qemu.qtest.clockStep(this.options.settleStepNs ?? DEFAULT_SETTLE_STEP_NS);
    else await this.qemu.qtest.endianness();
  }

  /**
   * MC-42: a new QEMU process on the same images. The device's other power cycle, unplugging and
   * plugging it in again, needs a hot-plug slot, which the q35 root bus this target uses lacks;
   * both create the device anew, so they cannot differ.
   */
  async powerCycle(): Promise<void> {
    await this.restart();
  }

  /**
   * A new QEMU process on the same namespace and boot-partition images (MC-42). Host memory is not
   * part of the device, so the live allocations are copied out and back in, as the core keeps them.
   */
  async restart(): Promise<void> {
    const saved = await Promise.all(
      this.allocator
        .allocations()
        .map(async ({ address, size }) => ({ address, data: await this.memRead(address, size) })),
    );
    await this.qemu.close();
    await this.hooks.betweenProcesses?.();
    this.qemu = await launchQemu(this.launchOptions);
    await this.setupPci();
    await Promise.all(saved.map(({ address, data }) => this.memWrite(address, data)));
  }

  /** MC-40: a Controller Level Reset through QMP `system_reset`; PCI is set up again after it. */
  async functionReset(): Promise<void> {
    await this.systemReset();
  }

  async systemReset(): Promise<void> {
    this.qemu.qmp.clearEvents();
    await this.qemu.qmp.execute("system_reset");
    await this.qemu.qmp.waitEvent("RESET");
    await this.setupPci();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.qemu.close();
    } finally {
      try {
        await this.hooks.close?.();
      } finally {
        await rm(this.workDir, { recursive: true, force: true });
      }
    }
  }

  /** Fails early, naming the option, when the host-memory window is not guest RAM. */
  private async checkHostMemory(): Promise<void> {
    const qtest = this.qemu.qtest;
    const last = this.allocator.end - BigInt(RAM_PROBE.length);
    for (const address of [this.allocator.start, last]) {
      await qtest.memWrite(address, RAM_PROBE);
      const back = await qtest.memRead(address, RAM_PROBE.length);
      await qtest.memset(address, RAM_PROBE.length, 0);
      if (Buffer.compare(back, RAM_PROBE) !== 0) {
        throw new InvalidArgumentError(
          "memory",
          `must give guest RAM at 0x${address.toString(16)} (the host-memory window); raise it or move hostMemory`,
          this.launchOptions.memory,
        );
      }
    }
  }

  /** Finds the nvme function, places its BARs (same addresses every time), enables MEM|MASTER. */
  private async setupPci(): Promise<void> {
    const qtest = this.qemu.qtest;
    const access = this.options.configAccess ?? "auto";
    const useEcam = access === "ecam" || (access === "auto" && this.qemu.machine === "q35");
    const config: PciConfigAccess = useEcam ? await enableQ35Ecam(qtest) : new PioConfigAccess(qtest);
    const device = await new PciBus(qtest, config).findByClass(NVME_PCI_CLASS_CODE);
    await device.assignBars(new PciWindowAllocator());
    await device.enable({ memory: true, busMaster: true });
    if (this.options.msixVectors) await device.enableMsix(this.options.msixVectors);
    this.pciDevice = device;
    this.bar0 = device.bar(0).address as bigint;
  }
}

/** Builds and powers on a QEMU target: the entry point for scenario runners and tests. */
export function createQemuTarget(options: QemuTargetOptions = {}): Promise<QemuTarget> {
  return QemuTarget.create(options);
}
