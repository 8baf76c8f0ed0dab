/**
 * The NVMe device a firmware boot attaches to, on either target. The targets, the patched
 * device's arguments and the attach itself are @bplab/lab's (device-target.ts there: the
 * vfio-user device is seeded from the `bootpart` file before QEMU starts and written back after
 * QEMU exits, so a power cycle is, as on the patched device, a new boot on the same file; MC-42,
 * MC-69). What stays here is what differs for firmware: OVMF, unlike Linux, polls, so a boot
 * without Linux needs no fd passing, and each target has its own QEMU binary option.
 */
import {
  type AttachedGuestDevice,
  attachGuestDevice,
  GUEST_DEVICE_TARGETS,
  type GuestDeviceTarget,
  guestDeviceUnavailable,
} from "@bplab/lab";
import { findVfioUserQemu } from "@bplab/vfio-user";
import { FirmwareBadOptionError, FirmwareHostUnsupportedError } from "./errors.js";

export type FirmwareTarget = GuestDeviceTarget;
export const FIRMWARE_TARGETS: readonly FirmwareTarget[] = GUEST_DEVICE_TARGETS;

/** The QEMU to run, its machine/memory/device arguments, and `release()` after QEMU exited. */
export type FirmwareDevice = AttachedGuestDevice;

export interface AttachOptions {
  target: FirmwareTarget;
  bootpart: string;
  memory: string;
  /** The patched qemu-system-x86_64 (target "qemu"). */
  qemuBinary: string;
  /** A stock QEMU with vfio-user-pci (target "vfio-user"); default findVfioUserQemu(). */
  vfioUserQemu?: string;
  /** Where the vfio-user sockets and state directory go (the run's directory). */
  runDir: string;
  /** Linux comes after the app: it needs interrupts, so the server must pass eventfds. */
  needsInterrupts: boolean;
}

/**
 * Why the vfio-user target cannot run here, or undefined when it can: lab's check (the stock QEMU
 * and fd passing) when Linux follows the app, else only a QEMU with vfio-user-pci.
 */
export async function vfioUserUnavailableReason(options: {
  vfioUserQemu?: string;
  needsInterrupts: boolean;
}): Promise<string | undefined> {
  try {
    await findVfioUserQemu(options.vfioUserQemu);
  } catch (error) {
    return `no stock QEMU with vfio-user-pci: ${(error as Error).message}`;
  }
  return options.needsInterrupts ? guestDeviceUnavailable("vfio-user") : undefined;
}

/** Lab's attachGuestDevice with firmware's option names, errors and availability check. */
export async function attachFirmwareDevice(options: AttachOptions): Promise<FirmwareDevice> {
  if (!FIRMWARE_TARGETS.includes(options.target))
    throw new FirmwareBadOptionError(
      "target",
      `must be one of ${FIRMWARE_TARGETS.join(", ")}`,
      options.target,
    );
  if (options.target === "vfio-user") {
    const reason = await vfioUserUnavailableReason(options);
    if (reason) throw new FirmwareHostUnsupportedError([reason]);
  }
  return attachGuestDevice({
    target: options.target,
    runDir: options.runDir,
    bootpart: options.bootpart,
    memory: options.memory,
    qemuBinary: options.target === "qemu" ? options.qemuBinary : options.vfioUserQemu,
    needsInterrupts: options.needsInterrupts,
  });
}
