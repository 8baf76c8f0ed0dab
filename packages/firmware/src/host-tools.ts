/**
 * What the firmware lab needs on the host: gnu-efi (headers, crt0, libraries) and a C toolchain
 * for the app, mtools for the ESP, OVMF for the firmware. As root on Debian the missing packages
 * are installed with apt; otherwise the caller gets the list of what is missing and says so.
 */
import { existsSync } from "node:fs";
import { ensureHostPackages, type HostFacts } from "@bplab/lab";
import { type CommandRunner, runCommand } from "@bplab/node-kit";
import { pins } from "@bplab/pins";
import { GNU_EFI_CRT0 } from "./efi-build.js";

/** Debian's OVMF build with the UEFI Shell inside (the secure-boot variants do not start it). */
export const OVMF_CODE_PATH = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS_TEMPLATE_PATH = "/usr/share/OVMF/OVMF_VARS_4M.fd";

interface Requirement {
  readonly what: string;
  readonly present: () => boolean;
  readonly aptPackage: string;
}

const onPath = (file: string) => existsSync(`/usr/bin/${file}`) || existsSync(`/bin/${file}`);

export const FIRMWARE_HOST_REQUIREMENTS: readonly Requirement[] = Object.freeze([
  { what: GNU_EFI_CRT0, present: () => existsSync(GNU_EFI_CRT0), aptPackage: pins.gnuEfi.debianPackage },
  { what: "gcc", present: () => onPath("gcc"), aptPackage: "gcc" },
  { what: "ld, objcopy", present: () => onPath("ld") && onPath("objcopy"), aptPackage: "binutils" },
  { what: "mformat, mcopy", present: () => onPath("mformat") && onPath("mcopy"), aptPackage: "mtools" },
  { what: OVMF_CODE_PATH, present: () => existsSync(OVMF_CODE_PATH), aptPackage: pins.ovmf.debianPackage },
]);

/** The Debian packages whose files are missing. */
export function missingHostPackages(requirements = FIRMWARE_HOST_REQUIREMENTS): string[] {
  return [...new Set(requirements.filter((r) => !r.present()).map((r) => r.aptPackage))];
}

/** The Debian packages of FIRMWARE_HOST_REQUIREMENTS, pinned ones by their @bplab/pins names. */
export const FIRMWARE_HOST_PACKAGES: readonly string[] = Object.freeze([
  ...new Set(FIRMWARE_HOST_REQUIREMENTS.map((r) => r.aptPackage)),
]);

export interface PinDifference {
  readonly name: string;
  readonly pinned: string;
  readonly installed: string | undefined;
}

/**
 * Installs what is missing (as root, through @bplab/lab's ensureHostPackages, which waits for
 * dpkg's lock) or throws its HostUnsupportedError (code LAB_HOST_UNSUPPORTED) saying what is
 * missing; returns the pinned packages whose installed version differs from @bplab/pins.
 */
export async function ensureFirmwareHostTools(
  facts: HostFacts,
  runner: CommandRunner = runCommand,
): Promise<PinDifference[]> {
  const versions = await ensureHostPackages(runner, FIRMWARE_HOST_PACKAGES, facts);
  return [pins.gnuEfi, pins.ovmf]
    .map((pin) => ({
      name: pin.debianPackage,
      pinned: pin.debianVersion,
      installed: versions[pin.debianPackage],
    }))
    .filter((pkg) => pkg.installed !== pkg.pinned);
}
