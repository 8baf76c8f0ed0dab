/**
 * `bplab firmware run`: one firmware-lab boot through @bplab/firmware (OVMF, the EFI app's
 * update + lock, then Linux with nvme-cli trying to get in), printed as a timeline, or --json.
 * `--target vfio-user` boots the same lab on stock QEMU with the TS controller behind vfio-user.
 */
import { readFile } from "node:fs/promises";
import {
  FIRMWARE_LOCK_CHOICES,
  FIRMWARE_TARGETS,
  FirmwareError,
  type FirmwareLockChoice,
  type FirmwareTarget,
  formatTimeline,
  osOutcomes,
  prepareFirmwareLab,
  runFirmwareLab,
  timelineEntries,
} from "@bplab/firmware";
import { createProgressPrinter } from "@bplab/qemu-patches";
import { CliFailure, CliUsageError } from "../errors.js";
import type { CliIo } from "../io.js";

export const FIRMWARE_SUBCOMMANDS = ["run"] as const;
export { FIRMWARE_LOCK_CHOICES, FIRMWARE_TARGETS };

export interface FirmwareCommandOptions {
  image?: string;
  lock: FirmwareLockChoice;
  target: FirmwareTarget;
  keep?: boolean;
  json?: boolean;
}

export async function runFirmwareCommand(io: CliIo, options: FirmwareCommandOptions): Promise<void> {
  let image: Uint8Array | undefined;
  if (options.image !== undefined) {
    try {
      image = new Uint8Array(await readFile(options.image));
    } catch (error) {
      throw new CliUsageError("--image", `cannot read ${options.image}: ${(error as Error).message}`);
    }
  }
  const progress = createProgressPrinter({ write: io.err, interactive: false });
  try {
    const lab = await prepareFirmwareLab({
      onProgress: progress,
      onNote: (text) => io.err(`[firmware] ${text}\n`),
    });
    const boot = await runFirmwareLab({
      lab,
      lock: options.lock,
      target: options.target,
      ...(image ? { image } : {}),
      ...(options.keep ? { keep: true } : {}),
    });
    if (options.json) {
      io.out(
        `${JSON.stringify({ target: boot.target, timing: boot.timing, appStatus: String(boot.appStatus), timeline: timelineEntries(boot), os: osOutcomes(boot.guest), keptDir: boot.keptDir }, null, 2)}\n`,
      );
    } else {
      io.out(formatTimeline(boot));
      if (boot.keptDir) io.out(`kept: ${boot.keptDir} (ESP, OVMF VARS, serial.log) and ${boot.workDir}\n`);
    }
    if (boot.appStatus !== 0n)
      throw new CliFailure(
        "CLI_CHECK_FAILED",
        `firmware run: the EFI app failed (status 0x${boot.appStatus?.toString(16)})`,
      );
  } catch (error) {
    if (error instanceof FirmwareError) {
      const kind = error.code === "FIRMWARE_BAD_OPTION" ? CliUsageError : undefined;
      if (kind) throw new CliUsageError("firmware run", error.message);
      throw new CliFailure(
        error.code === "FIRMWARE_HOST_UNSUPPORTED" ? "CLI_UNAVAILABLE" : "CLI_CHECK_FAILED",
        `firmware run: [${error.code}] ${error.message}`,
      );
    }
    throw error;
  }
}
