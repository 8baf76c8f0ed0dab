/**
 * The NVMe device a firmware boot attaches to, on either target, behind one shape: the QEMU to
 * run, the machine/memory/device arguments, and what happens to the `bootpart` file. The targets,
 * the patched device's arguments and the availability check are @bplab/lab's (device-target.ts
 * there); what stays here is the attach itself, because OVMF, unlike Linux, polls, so a boot
 * without Linux needs no fd passing (lab's attachGuestDevice always requires it, and is internal).
 *
 * - "qemu": the patched QEMU's `-device nvme,bootpart=` on the file itself (docs/qemu.md).
 * - "vfio-user": stock QEMU's `vfio-user-pci` in front of the TS controller of @bplab/vfio-user,
 *   served in this process on a state directory inside the run's directory. The directory is
 *   seeded from the `bootpart` file before QEMU starts and written back to it after QEMU exits, so
 *   a power cycle is, as on the patched device, a new boot on the same file (MC-42, MC-69: a new
 *   server, so the locks come back at their power-on state).
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  GUEST_DEVICE_TARGETS,
  type GuestDeviceTarget,
  guestDeviceUnavailable,
  patchedDeviceQemuArgs,
} from "@bplab/lab";
import { bootPartitionSizeBytes } from "@bplab/nvme-spec";
import { findVfioUserQemu, type GuestNvmeDevice, startGuestNvmeDevice } from "@bplab/vfio-user";
import { FirmwareBadOptionError, FirmwareHostUnsupportedError } from "./errors.js";

export type FirmwareTarget = GuestDeviceTarget;
export const FIRMWARE_TARGETS: readonly FirmwareTarget[] = GUEST_DEVICE_TARGETS;

export interface FirmwareDevice {
  readonly target: FirmwareTarget;
  readonly qemuBinary: string;
  /** -machine, memory and the NVMe device. */
  readonly qemuArgs: readonly string[];
  /** After QEMU exited: the device's BPs and ABPID are in the `bootpart` file. */
  finish(): Promise<void>;
  /** Releases what attach() started; safe to call twice. */
  stop(): Promise<void>;
}

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
 * The BP size of a `bootpart` file: two whole BPs (BPSZ x 128 KiB each), optionally followed by
 * the 4 KiB metadata block, which is smaller than one 128 KiB unit and so rounds away.
 */
export function bootpartBpSizeBytes(fileBytes: number): number {
  const unit = bootPartitionSizeBytes(1);
  const bpSizeBytes = Math.floor(fileBytes / 2 / unit) * unit;
  if (bpSizeBytes === 0)
    throw new FirmwareBadOptionError(
      "bootpart",
      "must hold two Boot Partitions of at least 128 KiB",
      fileBytes,
    );
  return bpSizeBytes;
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

export async function attachFirmwareDevice(options: AttachOptions): Promise<FirmwareDevice> {
  if (options.target === "qemu") {
    return {
      target: "qemu",
      qemuBinary: options.qemuBinary,
      qemuArgs: patchedDeviceQemuArgs({ bootpartPath: options.bootpart, memory: options.memory }),
      finish: async () => {},
      stop: async () => {},
    };
  }
  if (options.target !== "vfio-user")
    throw new FirmwareBadOptionError(
      "target",
      `must be one of ${FIRMWARE_TARGETS.join(", ")}`,
      options.target,
    );
  const reason = await vfioUserUnavailableReason(options);
  if (reason) throw new FirmwareHostUnsupportedError([reason]);
  const image = new Uint8Array(await readFile(options.bootpart));
  const device: GuestNvmeDevice = await startGuestNvmeDevice({
    runDir: options.runDir,
    stateDir: join(options.runDir, "vfio-user-state"),
    createBpSizeBytes: bootpartBpSizeBytes((await stat(options.bootpart)).size),
    memory: options.memory,
    ...(options.vfioUserQemu ? { qemu: options.vfioUserQemu } : {}),
  });
  try {
    device.loadBootpartImage(image);
  } catch (error) {
    await device.stop();
    throw error;
  }
  return {
    target: "vfio-user",
    qemuBinary: device.qemuBinary,
    qemuArgs: device.qemuArgs,
    finish: async () => {
      await device.whenDisconnected();
      await writeFile(options.bootpart, device.bootpartImage());
    },
    stop: () => device.stop(),
  };
}
