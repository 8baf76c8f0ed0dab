/**
 * The EFI System Partition of one run, built without root with mtools: a whole-disk FAT (OVMF
 * accepts one without a partition table) holding the app, the new BP image, startup.nsh and, when
 * the run boots Linux, the kernel and initrd. The UEFI Shell runs startup.nsh from fs0: after its
 * 5 s countdown; the script runs the app, stops on its error, then starts the kernel's EFI stub.
 */
import { stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type CommandRunner, runChecked, runCommand } from "@bplab/node-kit";
import { EspBuildError, FirmwareBadOptionError } from "./errors.js";

/** Paths on the ESP (FAT, backslashes in the shell). */
export const EspPath = Object.freeze({
  dir: "bplab",
  app: "bplab/bpfw.efi",
  image: "bplab/bp-new.bin",
  kernel: "bplab/vmlinuz",
  initrd: "bplab/initrd.img",
  startup: "startup.nsh",
});

/** Printed by startup.nsh (shell `echo`) so the host sees the app's exit status and the handover. */
export const ShellMarker = Object.freeze({
  appExit: "BPFW-SHELL app-exit",
  bootKernel: "BPFW-SHELL boot-kernel",
  poweroff: "BPFW-SHELL poweroff",
});

export const MIN_ESP_BYTES = 16 * 1024 * 1024;
const ESP_SLACK_BYTES = 4 * 1024 * 1024;
const SHELL_ARG_PATTERN = /^[A-Za-z0-9_.\\:=-]+$/;

export interface EspContents {
  /** The built bpfw.efi. */
  app: string;
  /** Arguments of bpfw.efi (after its name), e.g. ["update", "--bpid", "1", "--lock", "upc"]. */
  appArgs: readonly string[];
  /** Host file copied to \bplab\bp-new.bin (the app's default --image). */
  image?: string;
  /** When present the shell boots this kernel with this initrd after the app succeeded. */
  linux?: { kernel: string; initrd: string; cmdline: readonly string[] };
}

const toShellPath = (path: string) => `\\${path.replaceAll("/", "\\")}`;

function checkShellWords(field: string, words: readonly string[]): void {
  for (const word of words) {
    if (!SHELL_ARG_PATTERN.test(word))
      throw new FirmwareBadOptionError(field, `must match ${SHELL_ARG_PATTERN}`, word);
  }
}

/** startup.nsh: run the app; on failure power off; else boot Linux (or power off for a firmware-only run). */
export function startupScript(contents: Pick<EspContents, "appArgs" | "linux">): string {
  checkShellWords("appArgs", contents.appArgs);
  if (contents.linux) checkShellWords("kernel command line", contents.linux.cmdline);
  const lines = [
    "@echo -off",
    "fs0:",
    `${toShellPath(EspPath.app)} ${contents.appArgs.join(" ")}`,
    `echo ${ShellMarker.appExit} status=%lasterror%`,
    "if %lasterror% ne 0 then",
    `  echo ${ShellMarker.poweroff}`,
    "  reset -s",
    "endif",
  ];
  if (contents.linux) {
    const initrd = `initrd=${toShellPath(EspPath.initrd)}`;
    lines.push(`echo ${ShellMarker.bootKernel}`);
    lines.push(`${toShellPath(EspPath.kernel)} ${initrd} ${contents.linux.cmdline.join(" ")}`);
  }
  lines.push(`echo ${ShellMarker.poweroff}`, "reset -s");
  return `${lines.join("\r\n")}\r\n`;
}

export interface BuildEspOptions {
  runner?: CommandRunner;
}

/** Writes `<dir>/esp.img`; returns its path. */
export async function buildEsp(
  dir: string,
  contents: EspContents,
  options: BuildEspOptions = {},
): Promise<string> {
  const runner = options.runner ?? runCommand;
  const script = startupScript(contents);
  const scriptPath = join(dir, "startup.nsh");
  await writeFile(scriptPath, script);
  const files: Array<[string, string]> = [[contents.app, EspPath.app]];
  if (contents.image) files.push([contents.image, EspPath.image]);
  if (contents.linux)
    files.push([contents.linux.kernel, EspPath.kernel], [contents.linux.initrd, EspPath.initrd]);
  let payload = 0;
  for (const [host] of files) payload += (await stat(host)).size;
  const size = Math.max(MIN_ESP_BYTES, Math.ceil((payload * 1.1 + ESP_SLACK_BYTES) / 1048576) * 1048576);
  const esp = join(dir, "esp.img");
  await writeFile(esp, new Uint8Array(0));
  await truncate(esp, size);
  const failureCode = "FIRMWARE_ESP";
  try {
    await runChecked(runner, "mformat", ["-i", esp, "-v", "BPLABESP", "::"], { failureCode });
    await runChecked(runner, "mmd", ["-i", esp, `::/${EspPath.dir}`], { failureCode });
    for (const [host, target] of files)
      await runChecked(runner, "mcopy", ["-i", esp, host, `::/${target}`], { failureCode });
    await runChecked(runner, "mcopy", ["-i", esp, scriptPath, `::/${EspPath.startup}`], { failureCode });
  } catch (error) {
    throw new EspBuildError(`cannot build the ESP ${esp}: ${(error as Error).message}`, { cause: error });
  }
  return esp;
}
