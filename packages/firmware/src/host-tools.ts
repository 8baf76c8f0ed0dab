/**
 * What the firmware lab needs on the host: gnu-efi (headers, crt0, libraries) and a C toolchain
 * for the app, mtools for the ESP, OVMF for the firmware. As root on Debian the missing packages
 * are installed with apt (the environment @bplab/qemu-patches uses for its own apt calls);
 * otherwise the caller gets the list of what is missing and says so.
 */
import { existsSync } from "node:fs";
import { type CommandRunner, runChecked, runCommand } from "@bplab/node-kit";
import { pins } from "@bplab/pins";
import { aptEnvironment } from "@bplab/qemu-patches";
import { GNU_EFI_CRT0 } from "./efi-build.js";
import { FirmwareHostUnsupportedError } from "./errors.js";

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

export interface EnsureHostOptions {
  runner?: CommandRunner;
  isRoot?: boolean;
}

/** Installs what is missing when root; throws FirmwareHostUnsupportedError when it cannot. */
export async function ensureFirmwareHostTools(options: EnsureHostOptions = {}): Promise<void> {
  const missing = missingHostPackages();
  if (missing.length === 0) return;
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (!isRoot || !existsSync("/usr/bin/apt-get")) throw new FirmwareHostUnsupportedError(missing);
  const runner = options.runner ?? runCommand;
  const env = aptEnvironment(process.env);
  // Other test files install packages at the same time: wait for dpkg's lock instead of failing.
  const install = [
    "-o",
    "DPkg::Lock::Timeout=900",
    "install",
    "-y",
    "-q",
    "--no-install-recommends",
    ...missing,
  ];
  const first = await runner("apt-get", install, { env });
  if (first.exitCode !== 0) {
    // A fresh machine may have no package lists yet.
    await runner("apt-get", ["-o", "DPkg::Lock::Timeout=900", "update", "-q"], { env });
    // As root on Debian a failed install is a failure to report, not a reason to skip.
    await runChecked(runner, "apt-get", install, { env, failureCode: "FIRMWARE_APT_FAILED" });
  }
  const still = missingHostPackages();
  if (still.length > 0) throw new FirmwareHostUnsupportedError(still);
}

const DPKG_VERSION_FORMAT = ["$", "{Version}"].join("");

/** The pinned Debian packages (@bplab/pins) this lab was measured with, and what is installed. */
export async function pinnedPackageVersions(
  runner: CommandRunner = runCommand,
): Promise<Array<{ name: string; pinned: string; installed: string | undefined }>> {
  const pinned = [pins.gnuEfi, pins.ovmf];
  const result = [];
  for (const pin of pinned) {
    // dpkg-query's own format syntax, not a JS template.
    const query = await runner("dpkg-query", ["-W", "-f", DPKG_VERSION_FORMAT, pin.debianPackage]);
    const installed = query.exitCode === 0 ? query.stdout.trim() : undefined;
    result.push({ name: pin.debianPackage, pinned: pin.debianVersion, installed });
  }
  return result;
}
