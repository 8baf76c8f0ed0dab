/**
 * Typed errors of @bplab/qemu-patches. Every error has a stable `code` that callers (the CLI, the
 * test suite) switch on; the message says what went wrong and what to do about it.
 */

import { acceptCommandFailuresAs, CodedError, CommandFailedError } from "@bplab/node-kit";

export type QemuPatchesErrorCode =
  | "QEMU_BAD_OPTION"
  | "QEMU_MISSING_DEPENDENCIES"
  | "QEMU_SOURCE_UNAVAILABLE"
  | "QEMU_SOURCE_CHECKSUM"
  | "QEMU_SERIES_INVALID"
  | "QEMU_PATCH_FAILED"
  | "QEMU_COMMAND_FAILED"
  | "QEMU_BUILD_FAILED"
  | "QEMU_NOT_BUILT";

export class QemuPatchesError extends CodedError<QemuPatchesErrorCode> {}

/**
 * Command failures are @bplab/node-kit's one CommandFailedError, which cannot also extend this
 * class; thrown by this package it carries QEMU_COMMAND_FAILED, and `instanceof
 * QemuPatchesError` (the CLI's check) accepts it by that code. Subclasses keep plain instanceof.
 */
acceptCommandFailuresAs(QemuPatchesError, "QEMU_COMMAND_FAILED");

/** An option or argument has a value the function cannot use. */
export class BadOptionError extends QemuPatchesError {
  constructor(
    readonly field: string,
    rule: string,
  ) {
    super("QEMU_BAD_OPTION", `${field}: ${rule}`);
  }
}

/** Build dependencies are missing and cannot be installed (not root, or not Debian). */
export class MissingDependenciesError extends QemuPatchesError {
  constructor(
    readonly missing: readonly string[],
    reason: string,
  ) {
    super("QEMU_MISSING_DEPENDENCIES", `missing build dependencies: ${missing.join(", ")} (${reason})`);
  }
}

export class SourceUnavailableError extends QemuPatchesError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("QEMU_SOURCE_UNAVAILABLE", message, options);
  }
}

export class SourceChecksumError extends QemuPatchesError {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super("QEMU_SOURCE_CHECKSUM", `${file}: sha256 ${actual} does not match the pinned ${expected}`);
  }
}

/** The patches/series file or a patch it names is not usable. */
export class SeriesError extends QemuPatchesError {
  constructor(message: string) {
    super("QEMU_SERIES_INVALID", message);
  }
}

export class PatchFailedError extends QemuPatchesError {
  constructor(
    readonly patch: string,
    readonly output: string,
  ) {
    super("QEMU_PATCH_FAILED", `patch ${patch} does not apply:\n${output}`);
  }
}

/**
 * A command the package runs exited with a failure: @bplab/node-kit's CommandFailedError with the
 * code QEMU_COMMAND_FAILED (one class for every package; QemuPatchesError's instanceof accepts it).
 */
export { CommandFailedError };

export class BuildFailedError extends QemuPatchesError {
  constructor(
    readonly step: string,
    readonly logFile: string,
    readonly outputTail: string,
  ) {
    super("QEMU_BUILD_FAILED", `QEMU build step "${step}" failed; full log: ${logFile}\n${outputTail}`);
  }
}

/** The patched (or unpatched) QEMU is not built yet; the message names the command that builds it. */
export class QemuNotBuiltError extends QemuPatchesError {
  constructor(
    readonly expectedPath: string,
    readonly buildCommand: string,
    readonly variant: "patched" | "unpatched" = "patched",
  ) {
    super(
      "QEMU_NOT_BUILT",
      `the ${variant} QEMU is not built (expected ${expectedPath}); build it with: ${buildCommand}`,
    );
  }
}
