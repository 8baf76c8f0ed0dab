/**
 * One complete lab run, as `bplab firmware run` and the bench do it: a fresh `bootpart` (both BPs
 * with recognisable old contents, Write Locked at power-on), the new image on the ESP, the app in
 * update mode with the chosen lock, then Linux trying to get in (os-attempts.ts).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createBootpartImage } from "@bplab/lab";
import { bootPartitionSizeBytes } from "@bplab/nvme-spec";
import { type FirmwareBoot, runFirmwareBoot } from "./boot-lab.js";
import type { FirmwareTarget } from "./device-target.js";
import { FirmwareBadOptionError } from "./errors.js";
import { osAttemptScript } from "./os-attempts.js";
import type { FirmwareLab } from "./prepare.js";
import type { SerialEvent } from "./serial-events.js";

export const FIRMWARE_LOCK_CHOICES = ["upc", "locked", "none"] as const;
export type FirmwareLockChoice = (typeof FIRMWARE_LOCK_CHOICES)[number];
export const DEFAULT_LAB_BPSZ = 1;

export interface FirmwareRunOptions {
  lab: FirmwareLab;
  /** The new BP1 image (at most one BP); default a 64 KiB recognisable pattern. */
  image?: Uint8Array;
  lock?: FirmwareLockChoice;
  bpid?: 0 | 1;
  target?: FirmwareTarget;
  keep?: boolean;
  onEvent?: (event: SerialEvent) => void;
}

export function defaultLabImage(): Uint8Array {
  const image = new Uint8Array(64 * 1024);
  for (let i = 0; i < image.length; i++) image[i] = (i * 31 + (i >> 12)) & 0xff;
  return image;
}

export async function runFirmwareLab(
  options: FirmwareRunOptions,
): Promise<FirmwareBoot & { workDir?: string }> {
  const lock = options.lock ?? "upc";
  if (!FIRMWARE_LOCK_CHOICES.includes(lock))
    throw new FirmwareBadOptionError("lock", `must be one of ${FIRMWARE_LOCK_CHOICES.join(", ")}`, lock);
  const image = options.image ?? defaultLabImage();
  const bpBytes = bootPartitionSizeBytes(DEFAULT_LAB_BPSZ);
  if (image.length === 0 || image.length > bpBytes) {
    throw new FirmwareBadOptionError(
      "image",
      `must be 1..${bpBytes} bytes (one BP of BPSZ ${DEFAULT_LAB_BPSZ})`,
      image.length,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "bplab-fw-run-"));
  try {
    const bootpart = await createBootpartImage(join(dir, "bootpart.img"), { bpsz: DEFAULT_LAB_BPSZ });
    const imagePath = join(dir, "bp-new.bin");
    await writeFile(imagePath, image);
    const boot = await runFirmwareBoot({
      qemuBinary: options.lab.qemu,
      bootpart: bootpart.path,
      app: options.lab.app.path,
      appArgs: ["update", "--bpid", String(options.bpid ?? 1), "--lock", lock],
      image: imagePath,
      linux: {
        image: options.lab.guestImage,
        script: osAttemptScript(new Uint8Array(4096).fill(0x5a), DEFAULT_LAB_BPSZ),
      },
      ...(options.target ? { target: options.target } : {}),
      ...(options.keep ? { keep: true } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    return options.keep ? { ...boot, workDir: dir } : boot;
  } finally {
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  }
}
