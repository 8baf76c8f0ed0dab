/**
 * What the firmware lab needs on the host: gnu-efi (headers, crt0, libraries) and a C toolchain
 * for the app, mtools for the ESP, OVMF for the firmware. As root on Debian the missing packages
 * are installed with apt; otherwise the caller gets the list of what is missing and says so.
 */
import { existsSync } from "node:fs";
import { ensureHostPackages, type HostFacts } from "@bplab/lab";
import { type CommandRunner, runCommand } from "@bplab/node-kit";
import { pins } from "@bplab/pins";
import { EFI_APP_ENV, GNU_EFI_CRT0, GNU_EFI_ENV } from "./efi-build.js";
import { FirmwareBadOptionError } from "./errors.js";

/** Debian's OVMF build with the UEFI Shell inside (the secure-boot variants do not start it). */
export const OVMF_CODE_PATH = "/usr/share/OVMF/OVMF_CODE_4M.fd";
export const OVMF_VARS_TEMPLATE_PATH = "/usr/share/OVMF/OVMF_VARS_4M.fd";
/** Set together by the Nix shell (nix/devshell.nix): nixpkgs' OVMF, which wins over Debian's. */
export const OVMF_CODE_ENV = "BPLAB_OVMF_CODE";
export const OVMF_VARS_ENV = "BPLAB_OVMF_VARS";

export interface OvmfFiles {
  /** The firmware volume, attached read-only. */
  readonly code: string;
  /** The variable store template; each run boots a private copy. */
  readonly vars: string;
  readonly source: "environment" | "debian";
}

/**
 * Which OVMF to boot: BPLAB_OVMF_CODE + BPLAB_OVMF_VARS when set (both, because a VARS store
 * belongs to the CODE build that made it: its size and layout differ between builds), else
 * Debian's files. Set paths must exist; Debian's are checked by the host requirements instead.
 */
export function ovmfFiles(env: NodeJS.ProcessEnv = process.env): OvmfFiles {
  const code = env[OVMF_CODE_ENV] || undefined;
  const vars = env[OVMF_VARS_ENV] || undefined;
  if (code === undefined && vars === undefined)
    return { code: OVMF_CODE_PATH, vars: OVMF_VARS_TEMPLATE_PATH, source: "debian" };
  if (code === undefined || vars === undefined) {
    const [missing, set] =
      code === undefined ? [OVMF_CODE_ENV, OVMF_VARS_ENV] : [OVMF_VARS_ENV, OVMF_CODE_ENV];
    throw new FirmwareBadOptionError(
      missing,
      `must be set together with ${set} (a VARS store belongs to its CODE build)`,
    );
  }
  for (const [name, path] of [
    [OVMF_CODE_ENV, code],
    [OVMF_VARS_ENV, vars],
  ] as const) {
    if (!existsSync(path)) throw new FirmwareBadOptionError(name, "names a file that does not exist", path);
  }
  return { code, vars, source: "environment" };
}

interface Requirement {
  readonly what: string;
  readonly present: () => boolean;
  readonly aptPackage: string;
}

const onPath = (file: string) => existsSync(`/usr/bin/${file}`) || existsSync(`/bin/${file}`);

const OVMF_REQUIREMENT: Requirement = {
  what: OVMF_CODE_PATH,
  present: () => existsSync(OVMF_CODE_PATH),
  aptPackage: pins.ovmf.debianPackage,
};

const GNU_EFI_REQUIREMENT: Requirement = {
  what: GNU_EFI_CRT0,
  present: () => existsSync(GNU_EFI_CRT0),
  aptPackage: pins.gnuEfi.debianPackage,
};

/** What building the EFI app needs; nothing of it when BPLAB_EFI_APP names a prebuilt app. */
const APP_BUILD_REQUIREMENTS: readonly Requirement[] = Object.freeze([
  GNU_EFI_REQUIREMENT,
  { what: "gcc", present: () => onPath("gcc"), aptPackage: "gcc" },
  { what: "ld, objcopy", present: () => onPath("ld") && onPath("objcopy"), aptPackage: "binutils" },
]);

export const FIRMWARE_HOST_REQUIREMENTS: readonly Requirement[] = Object.freeze([
  ...APP_BUILD_REQUIREMENTS,
  { what: "mformat, mcopy", present: () => onPath("mformat") && onPath("mcopy"), aptPackage: "mtools" },
  OVMF_REQUIREMENT,
]);

/**
 * The requirements of this environment: Debian's OVMF only when BPLAB_OVMF_* do not name one,
 * Debian's gnu-efi only when BPLAB_GNU_EFI does not (the Nix shell sets all three), and no app
 * build tools at all when BPLAB_EFI_APP names a prebuilt app (the lab image sets it).
 */
export function hostRequirements(env: NodeJS.ProcessEnv = process.env): readonly Requirement[] {
  const provided = new Set<Requirement>();
  if (env[EFI_APP_ENV]) for (const r of APP_BUILD_REQUIREMENTS) provided.add(r);
  if (ovmfFiles(env).source !== "debian") provided.add(OVMF_REQUIREMENT);
  if (env[GNU_EFI_ENV]) provided.add(GNU_EFI_REQUIREMENT);
  return FIRMWARE_HOST_REQUIREMENTS.filter((r) => !provided.has(r));
}

/** The Debian packages whose files are missing. */
export function missingHostPackages(requirements = hostRequirements()): string[] {
  return [...new Set(requirements.filter((r) => !r.present()).map((r) => r.aptPackage))];
}

/** The Debian packages of some requirements, pinned ones by their @bplab/pins names. */
export function hostPackages(requirements = hostRequirements()): string[] {
  return [...new Set(requirements.map((r) => r.aptPackage))];
}

/** Every Debian package the lab may need (with Debian's OVMF). */
export const FIRMWARE_HOST_PACKAGES: readonly string[] = Object.freeze(
  hostPackages(FIRMWARE_HOST_REQUIREMENTS),
);

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
  env: NodeJS.ProcessEnv = process.env,
): Promise<PinDifference[]> {
  const packages = hostPackages(hostRequirements(env));
  const versions = await ensureHostPackages(runner, packages, facts);
  return [pins.gnuEfi, pins.ovmf]
    .filter((pin) => packages.includes(pin.debianPackage))
    .map((pin) => ({
      name: pin.debianPackage,
      pinned: pin.debianVersion,
      installed: versions[pin.debianPackage],
    }))
    .filter((pkg) => pkg.installed !== pkg.pinned);
}
