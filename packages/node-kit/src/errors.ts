/**
 * Typed errors of @bplab/node-kit, and CodedError, the base every package's errors extend (except
 * @bplab/nvme-spec's, which has no dependencies and keeps a shape-compatible base of its own).
 * Each error has a stable `code`; packages that need their own command-failure code (for example
 * "QEMU_COMMAND_FAILED") pass it to CommandFailedError, so one class serves every package.
 */

import { describeLockOwner, type LockOwner } from "./lock-owner.js";

/**
 * An error with a machine-readable `code` next to a message that names the field and the rule.
 * `name` is the concrete class's name, so logs and `String(error)` say which class was thrown.
 * Subclasses narrow `Code` to their own union.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A live process holds a pid lock and the caller asked not to wait for it. */
export class PidLockBusyError extends CodedError<"PID_LOCK_BUSY"> {
  constructor(
    /** The lock file. */
    readonly path: string,
    /** The live process that holds it (or is taking it over from a dead owner right now). */
    readonly ownerPid: number,
  ) {
    super(
      "PID_LOCK_BUSY",
      `${path}: locked by ${ownerPid === process.pid ? "this process" : `process ${ownerPid}`}`,
    );
  }
}

/**
 * A pid lock's owner lives where this process cannot check it: another PID namespace (another
 * container, or the host seen from a container) or another machine sharing the volume. The lock
 * is never taken over silently; the message names the owner and the file to remove once a person
 * knows that owner is gone.
 */
export class PidLockForeignOwnerError extends CodedError<"PID_LOCK_FOREIGN_OWNER"> {
  constructor(
    /** The lock file: removing it (once its owner is known to be gone) is the way out. */
    readonly path: string,
    /** The owner as the lock file names it. */
    readonly owner: LockOwner,
    /** Why its pid cannot be checked from here. */
    readonly reason: "other-pid-namespace" | "other-machine",
  ) {
    const where =
      reason === "other-pid-namespace"
        ? "another PID namespace (another container or the host)"
        : "another machine";
    super(
      "PID_LOCK_FOREIGN_OWNER",
      `${path}: locked by ${describeLockOwner(owner)}, in ${where}; its pid cannot be checked from ` +
        `here, so the lock is not taken over. If that process is gone, remove ${path} and retry`,
    );
  }
}

/** A command exited with a code the caller does not accept, was killed, or could not start. */
export class CommandFailedError<Code extends string = "COMMAND_FAILED"> extends CodedError<Code> {
  constructor(
    /** The command line, quoted so it can be pasted into a shell. */
    readonly command: string,
    /** null when the command was killed by a signal or could not start. */
    readonly exitCode: number | null,
    /** The last lines of its output, for the message. */
    readonly outputTail: string,
    code: Code = "COMMAND_FAILED" as Code,
  ) {
    super(
      code,
      `command failed (exit ${exitCode ?? "signal"}): ${command}${outputTail ? `\n${outputTail}` : ""}`,
    );
  }
}

/**
 * Lets `instanceof base` also accept a CommandFailedError that carries `commandFailedCode`.
 * CommandFailedError is node-kit's one class for failed commands, so it cannot also extend each
 * package's error base; a package that throws it with its own code (for example
 * "QEMU_COMMAND_FAILED") calls this once, and callers that check `instanceof` the package's base
 * still catch it. Only `base` itself gains the rule: its subclasses keep plain instanceof.
 */
export function acceptCommandFailuresAs(
  base: abstract new (...args: never[]) => CodedError,
  commandFailedCode: string,
): void {
  Object.defineProperty(base, Symbol.hasInstance, {
    value(this: abstract new (...args: never[]) => unknown, value: unknown): boolean {
      return (
        Function.prototype[Symbol.hasInstance].call(this, value) ||
        (this === base && value instanceof CommandFailedError && value.code === commandFailedCode)
      );
    },
  });
}
