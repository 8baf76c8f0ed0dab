/**
 * Where the guest's NVMe device comes from. "qemu": the patched QEMU's own `nvme` device with the
 * `bootpart` drive (the default). "vfio-user": the TS controller behind stock QEMU's
 * `vfio-user-pci` (@bplab/vfio-user's guest device), which needs the unpatched build and fd passing
 * (interrupts: the Linux driver does not poll). Both keep the BPs in the same `bootpart` image
 * file: the vfio-user device is seeded from it before the boot and writes BPs and ABPID back after
 * QEMU exits, so a caller (and every lab test) reads and writes that file the same way on both.
 * Each boot is a new QEMU process on a freshly seeded device: a power cycle (MC-42, MC-69).
 * This is the one attach of both labs: @bplab/firmware boots OVMF on it too.
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import { BOOT_PARTITION_COUNT, BOOT_PARTITION_UNIT_BYTES } from "@bplab/nvme-spec";
import { qemuBinaryPath } from "@bplab/qemu-patches";
import { BOOTPART_METADATA_BYTES, BOOTPART_PROPERTY } from "@bplab/qtest";
import { findVfioUserQemu, loadFdPassing, startGuestNvmeDevice } from "@bplab/vfio-user";
import { type BootpartImage, DEFAULT_BPSZ } from "./bootpart-image.js";
import { GuestDeviceUnavailableError, LabBadOptionError } from "./errors.js";

export const GUEST_DEVICE_TARGETS = ["qemu", "vfio-user"] as const;
export type GuestDeviceTarget = (typeof GUEST_DEVICE_TARGETS)[number];
export const DEFAULT_GUEST_DEVICE_TARGET: GuestDeviceTarget = "qemu";
const DEVICE_SERIAL = "bplab-lab";

/** The machine, memory and NVMe device arguments of the patched QEMU's `nvme` device. */
export function patchedDeviceQemuArgs(options: {
  bootpartPath: string | undefined;
  memory: string;
}): string[] {
  const args = ["-machine", "q35", "-m", options.memory];
  if (options.bootpartPath) {
    args.push("-drive", `file=${options.bootpartPath},if=none,format=raw,id=bp0`);
    args.push("-device", `nvme,id=nvme0,serial=${DEVICE_SERIAL},${BOOTPART_PROPERTY}=bp0`);
  } else {
    args.push("-device", `nvme,id=nvme0,serial=${DEVICE_SERIAL}`);
  }
  return args;
}

/** Why `target` cannot run the Linux guest on this machine, or undefined when it can. */
export async function guestDeviceUnavailable(target: GuestDeviceTarget): Promise<string | undefined> {
  if (target === "qemu") return undefined;
  try {
    await findVfioUserQemu();
  } catch (error) {
    return (error as Error).message;
  }
  const fdPassing = loadFdPassing();
  if (fdPassing instanceof Error)
    return `the usocket addon is not built, so the device has no interrupts (${fdPassing.message})`;
  return undefined;
}

/** One boot's device: the QEMU to run, its device arguments, and what to do once QEMU exited. */
export interface AttachedGuestDevice {
  readonly binary: string;
  readonly args: readonly string[];
  /** After QEMU exited: the vfio-user device writes the BPs back and stops; idempotent. */
  release(): Promise<void>;
}

export interface AttachGuestDeviceOptions {
  target: GuestDeviceTarget;
  /** The run's own directory (sockets, state); removed by the caller. */
  runDir: string;
  bootpart: BootpartImage | string | undefined;
  memory: string;
  /** The QEMU of `target`: the patched build ("qemu") or a stock one with vfio-user-pci. */
  qemuBinary: string | undefined;
  /**
   * Whether the guest needs interrupts (default true): the Linux driver does, so the vfio-user
   * server must pass eventfds; OVMF polls, so a firmware boot without Linux does not.
   */
  needsInterrupts?: boolean;
  log?: (line: string) => void;
}

/**
 * BP size of a `bootpart` file of `fileBytes`: 2 BPs of whole 128 KiB units, optionally plus the
 * 4 KiB metadata block; any other size is no BP image (hostile input is refused, not rounded).
 */
export function bootpartFileBpSizeBytes(fileBytes: number, path?: string): number {
  for (const bps of [fileBytes - BOOTPART_METADATA_BYTES, fileBytes]) {
    const bpSize = bps / BOOT_PARTITION_COUNT;
    if (bps > 0 && Number.isInteger(bpSize) && bpSize % BOOT_PARTITION_UNIT_BYTES === 0) return bpSize;
  }
  throw new LabBadOptionError(
    "bootpart",
    "is not 2 x BPSZ x 128 KiB, optionally plus a 4 KiB metadata block",
    path ?? fileBytes,
  );
}

async function bootpartBpSize(bootpart: BootpartImage | string): Promise<number> {
  if (typeof bootpart !== "string") return bootpart.bpSizeBytes;
  return bootpartFileBpSizeBytes((await stat(bootpart)).size, bootpart);
}

/** Prepares the device of one boot (for vfio-user: starts the server and seeds it). */
export async function attachGuestDevice(options: AttachGuestDeviceOptions): Promise<AttachedGuestDevice> {
  const bootpartPath = typeof options.bootpart === "string" ? options.bootpart : options.bootpart?.path;
  if (options.target === "qemu") {
    return {
      binary: options.qemuBinary ?? qemuBinaryPath(),
      args: patchedDeviceQemuArgs({ bootpartPath, memory: options.memory }),
      release: async () => undefined,
    };
  }
  if (options.target !== "vfio-user")
    throw new LabBadOptionError(
      "device",
      `must be one of ${GUEST_DEVICE_TARGETS.join(", ")}`,
      options.target,
    );
  const bpSizeBytes = options.bootpart
    ? await bootpartBpSize(options.bootpart)
    : DEFAULT_BPSZ * BOOT_PARTITION_UNIT_BYTES;
  const device = await startGuestNvmeDevice({
    runDir: options.runDir,
    createBpSizeBytes: bpSizeBytes,
    memory: options.memory,
    ...(options.log ? { log: options.log } : {}),
    ...(options.qemuBinary ? { qemu: options.qemuBinary } : {}),
  });
  let released = false;
  const release = async () => {
    if (released) return;
    released = true;
    try {
      // Every command the guest finished is in the store once QEMU's session is gone.
      await device.whenDisconnected();
      if (bootpartPath) await writeFile(bootpartPath, device.bootpartImage());
    } finally {
      await device.stop();
    }
  };
  try {
    if ((options.needsInterrupts ?? true) && !device.passesFds)
      throw new GuestDeviceUnavailableError(
        "vfio-user",
        "no fd passing (usocket), so no interrupts for the Linux driver",
      );
    if (bootpartPath) device.loadBootpartImage(await readFile(bootpartPath));
  } catch (error) {
    released = true;
    await device.stop();
    throw error;
  }
  return { binary: device.qemuBinary, args: device.qemuArgs, release };
}
