/**
 * What one guest run executes: a shell script (run by /init after the NVMe driver is up, with the
 * helpers of guest-init.ts) and the files it needs. The script reaches the guest either inside a
 * small cpio overlay appended to the cached initramfs (the kernel unpacks concatenated archives
 * in order) or, when short, base64-encoded on the kernel command line.
 */
import { CpioBuilder, EXECUTABLE_FILE_MODE, normalizeArchivePath } from "./cpio.js";
import { LabBadOptionError } from "./errors.js";
import { GuestPath, RESULT_NAME_PATTERN, SCRIPT_CMDLINE_PARAMETER } from "./guest-init.js";

export interface GuestFile {
  /** Path below /lab/files in the guest. */
  readonly name: string;
  readonly data: Uint8Array;
}

/**
 * x86 COMMAND_LINE_SIZE is 2048 bytes for the whole command line; the script gets at most this
 * much of it so console=, panic= and quiet still fit.
 */
export const MAX_CMDLINE_SCRIPT_BYTES = 1536;

/** Quotes a string as one POSIX shell word. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function checkName(field: string, name: string): string {
  if (!RESULT_NAME_PATTERN.test(name)) {
    throw new LabBadOptionError(
      field,
      `must match ${RESULT_NAME_PATTERN} (it is a serial protocol name)`,
      name,
    );
  }
  return name;
}

/** The absolute guest path of a file added with `GuestScript.file`. */
export function guestFilePath(name: string): string {
  return `/${GuestPath.files}/${normalizeArchivePath(name)}`;
}

/** Builds a guest script line by line; every step names what it reports. */
export class GuestScript {
  private readonly lines: string[] = [];
  private readonly attached = new Map<string, Uint8Array>();

  /** A shell line, as is. */
  shell(line: string): this {
    this.lines.push(line);
    return this;
  }

  /** Reports `name` = the trimmed stdout of a shell command. */
  result(name: string, command: string): this {
    return this.shell(`bplab_result ${checkName("result name", name)} "$(${command})"`);
  }

  /** Runs a command line (pipes allowed) and reports NAME.stdout, NAME.stderr and NAME.exit. */
  run(name: string, command: string): this {
    return this.shell(`bplab_run ${checkName("command name", name)} sh -c ${shellQuote(command)}`);
  }

  /** Reports the sha256 (hex) of a guest file. */
  sha256(name: string, guestPath: string): this {
    return this.shell(`bplab_sha256 ${checkName("result name", name)} ${shellQuote(guestPath)}`);
  }

  /** Reports a guest file's bytes. */
  blob(name: string, guestPath: string): this {
    return this.shell(`bplab_blob ${checkName("blob name", name)} ${shellQuote(guestPath)}`);
  }

  /** Adds a file to the run; returns its guest path. */
  file(name: string, data: Uint8Array): string {
    const path = guestFilePath(name);
    if (this.attached.has(name))
      throw new LabBadOptionError("guest file name", "must be unique in a run", name);
    this.attached.set(name, data);
    return path;
  }

  get text(): string {
    return `${this.lines.join("\n")}\n`;
  }

  get files(): GuestFile[] {
    return [...this.attached].map(([name, data]) => ({ name, data }));
  }
}

/** The cpio overlay of one run: the script (unless it goes on the command line) and its files. */
export function overlayArchive(script: string | undefined, files: readonly GuestFile[]): Uint8Array {
  const archive = new CpioBuilder();
  if (script !== undefined)
    archive.file(GuestPath.script, new TextEncoder().encode(script), EXECUTABLE_FILE_MODE);
  for (const file of files) archive.file(`${GuestPath.files}/${normalizeArchivePath(file.name)}`, file.data);
  return archive.encode();
}

/** `bplab.script=<base64>` for the kernel command line. */
export function scriptCmdlineArgument(script: string): string {
  const encoded = Buffer.from(script, "utf8").toString("base64");
  if (encoded.length > MAX_CMDLINE_SCRIPT_BYTES) {
    throw new LabBadOptionError(
      "script",
      `is ${encoded.length} bytes in base64, above the ${MAX_CMDLINE_SCRIPT_BYTES} bytes the kernel command line leaves for it; deliver it in the initramfs instead`,
    );
  }
  return `${SCRIPT_CMDLINE_PARAMETER}=${encoded}`;
}
