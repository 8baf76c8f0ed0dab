/**
 * Typed errors of @bplab/node-kit. Each has a stable `code`; packages that need their own code
 * (for example "QEMU_COMMAND_FAILED") pass it in, so one class serves every package.
 */

/** A live process holds a pid lock and the caller asked not to wait for it. */
export class PidLockBusyError extends Error {
  override readonly name = "PidLockBusyError";
  readonly code = "PID_LOCK_BUSY";

  constructor(
    /** The lock file. */
    readonly path: string,
    /** The live process that holds it (or is taking it over from a dead owner right now). */
    readonly ownerPid: number,
  ) {
    super(`${path}: locked by ${ownerPid === process.pid ? "this process" : `process ${ownerPid}`}`);
  }
}

/** A command exited with a code the caller does not accept, was killed, or could not start. */
export class CommandFailedError<Code extends string = "COMMAND_FAILED"> extends Error {
  override readonly name = "CommandFailedError";
  readonly code: Code;

  constructor(
    /** The command line, quoted so it can be pasted into a shell. */
    readonly command: string,
    /** null when the command was killed by a signal or could not start. */
    readonly exitCode: number | null,
    /** The last lines of its output, for the message. */
    readonly outputTail: string,
    code: Code = "COMMAND_FAILED" as Code,
  ) {
    super(`command failed (exit ${exitCode ?? "signal"}): ${command}${outputTail ? `\n${outputTail}` : ""}`);
    this.code = code;
  }
}
