/**
 * Typed errors of @bplab/lab. Every error has a stable `code` that tests and tools switch on; the
 * message says what went wrong and, where there is one, what to do about it.
 */

import { acceptCommandFailuresAs, CodedError, CommandFailedError } from "@bplab/node-kit";

export type LabErrorCode =
  | "LAB_BAD_OPTION"
  | "LAB_HOST_UNSUPPORTED"
  | "LAB_COMMAND_FAILED"
  | "LAB_GUEST_BUILD"
  | "LAB_GUEST_TIMEOUT"
  | "LAB_GUEST_ABORTED"
  | "LAB_GUEST_INCOMPLETE"
  | "LAB_GUEST_PROTOCOL"
  | "LAB_GUEST_OUTPUT"
  | "LAB_DEVICE_UNAVAILABLE";

export class LabError extends CodedError<LabErrorCode> {}

/**
 * Command failures are @bplab/node-kit's one CommandFailedError, which cannot also extend this
 * class; thrown by this package it carries LAB_COMMAND_FAILED, and `instanceof LabError` accepts
 * it by that code. Subclasses keep plain instanceof.
 */
acceptCommandFailuresAs(LabError, "LAB_COMMAND_FAILED");

/** An option or argument has a value the function cannot use; names the field and the rule. */
export class LabBadOptionError extends LabError {
  constructor(
    readonly field: string,
    readonly rule: string,
    readonly value?: unknown,
  ) {
    super("LAB_BAD_OPTION", `${field}: ${rule}${value === undefined ? "" : ` (got ${String(value)})`}`);
  }
}

/** The machine cannot build or boot the guest: not Linux/Debian, not root and tools missing, ... */
export class HostUnsupportedError extends LabError {
  constructor(readonly reasons: readonly string[]) {
    super("LAB_HOST_UNSUPPORTED", `this machine cannot run the lab guest: ${reasons.join("; ")}`);
  }
}

/**
 * A host command the builder runs (apt-get, dpkg-deb, ldd) failed: @bplab/node-kit's one
 * CommandFailedError with the code LAB_COMMAND_FAILED (LabError's instanceof accepts it).
 */
export { CommandFailedError };

/** The guest image cannot be assembled from what the system provides. */
export class GuestBuildError extends LabError {
  constructor(
    readonly step: string,
    detail: string,
  ) {
    super("LAB_GUEST_BUILD", `guest image, step "${step}": ${detail}`);
  }
}

/** The guest did not power off in time; QEMU's process group was killed. */
export class GuestTimeoutError extends LabError {
  constructor(
    readonly timeoutMs: number,
    readonly serialTail: string,
  ) {
    super(
      "LAB_GUEST_TIMEOUT",
      `the guest did not finish within ${timeoutMs} ms; serial tail:\n${serialTail}`,
    );
  }
}

/** The caller aborted the run (AbortSignal); QEMU's process group was killed. */
export class GuestAbortedError extends LabError {
  constructor(readonly serialTail: string) {
    super("LAB_GUEST_ABORTED", "the guest run was aborted by its caller");
  }
}

/** QEMU exited before the guest reported the end of its script (crash, panic, bad arguments). */
export class GuestIncompleteError extends LabError {
  constructor(
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly serialTail: string,
    readonly stderrTail: string,
  ) {
    super(
      "LAB_GUEST_INCOMPLETE",
      `QEMU exited (code ${exitCode ?? "none"}, signal ${signal ?? "none"}) before the guest ` +
        `printed its end line\nserial tail:\n${serialTail}\nstderr tail:\n${stderrTail}`,
    );
  }
}

/** A result line on the serial console breaks the protocol (garbled, truncated blob). */
export class GuestProtocolError extends LabError {
  constructor(
    readonly line: string,
    rule: string,
  ) {
    super("LAB_GUEST_PROTOCOL", `serial protocol: ${rule}: ${JSON.stringify(line)}`);
  }
}

/** A guest command's output is missing or does not have the shape nvme-cli prints. */
export class GuestOutputError extends LabError {
  constructor(
    readonly outputName: string,
    rule: string,
  ) {
    super("LAB_GUEST_OUTPUT", `guest output "${outputName}": ${rule}`);
  }
}

/** The guest's NVMe device target cannot run here (no unpatched QEMU, no fd passing for interrupts). */
export class GuestDeviceUnavailableError extends LabError {
  constructor(
    readonly target: string,
    readonly reason: string,
  ) {
    super("LAB_DEVICE_UNAVAILABLE", `the ${target} device cannot run the Linux guest: ${reason}`);
  }
}
