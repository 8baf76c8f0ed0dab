/**
 * Typed errors of @bplab/firmware. Every error has a stable `code`; the message names what went
 * wrong and, where there is one, what to do.
 */
import { CodedError } from "@bplab/node-kit";

export type FirmwareErrorCode =
  | "FIRMWARE_BAD_OPTION"
  | "FIRMWARE_HOST_UNSUPPORTED"
  | "FIRMWARE_BUILD"
  | "FIRMWARE_ESP"
  | "FIRMWARE_BOOT_INCOMPLETE"
  | "FIRMWARE_BOOT_ABORTED"
  | "FIRMWARE_SERIAL_PROTOCOL";

export class FirmwareError extends CodedError<FirmwareErrorCode> {}

export class FirmwareBadOptionError extends FirmwareError {
  constructor(
    readonly field: string,
    readonly rule: string,
    readonly value?: unknown,
  ) {
    super("FIRMWARE_BAD_OPTION", `${field} ${rule}${value === undefined ? "" : ` (got ${String(value)})`}`);
  }
}

/** A Debian package or tool the lab needs is missing and cannot be installed here. */
export class FirmwareHostUnsupportedError extends FirmwareError {
  constructor(readonly missing: readonly string[]) {
    super(
      "FIRMWARE_HOST_UNSUPPORTED",
      `missing ${missing.join(", ")}; install the Debian packages gnu-efi, mtools and ovmf (as root)`,
    );
  }
}

export class FirmwareBuildError extends FirmwareError {
  constructor(message: string, options?: ErrorOptions) {
    super("FIRMWARE_BUILD", message, options);
  }
}

export class EspBuildError extends FirmwareError {
  constructor(message: string, options?: ErrorOptions) {
    super("FIRMWARE_ESP", message, options);
  }
}

/** QEMU ended before the run reached its end line (firmware `done`, or the guest's BPLAB-DONE). */
export class BootIncompleteError extends FirmwareError {
  constructor(
    readonly exitCode: number | null,
    readonly serialTail: string,
    readonly stderrTail: string,
  ) {
    super(
      "FIRMWARE_BOOT_INCOMPLETE",
      `QEMU exited (code ${exitCode}) before the run finished.\n--- serial (tail) ---\n${serialTail}\n--- stderr ---\n${stderrTail}`,
    );
  }
}

export class BootAbortedError extends FirmwareError {
  constructor(readonly serialTail: string) {
    super("FIRMWARE_BOOT_ABORTED", `the boot was aborted.\n--- serial (tail) ---\n${serialTail}`);
  }
}

/** A BPFW line that does not follow the app's line format: the app and this parser disagree. */
export class SerialProtocolError extends FirmwareError {
  constructor(
    readonly line: string,
    readonly rule: string,
  ) {
    super("FIRMWARE_SERIAL_PROTOCOL", `serial line ${JSON.stringify(line)}: ${rule}`);
  }
}
