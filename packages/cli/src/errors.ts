/**
 * Exit codes and the errors that choose them. A wrong argument is the user's to fix (exit 2, the
 * message names the option and the rule); a device or file problem is a failure (exit 1).
 */

import { CodedError } from "@bplab/node-kit";

export const ExitCode = Object.freeze({
  Ok: 0,
  /** The command ran and something failed: a rejected commit, a failing scenario, a bad state dir. */
  Failure: 1,
  /** The command line itself is wrong. */
  Usage: 2,
});
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A bad argument: names the option (e.g. "--bpsz") and the rule it broke. */
export class CliUsageError extends CodedError<"CLI_USAGE"> {
  readonly option: string;

  constructor(option: string, rule: string) {
    super("CLI_USAGE", `${option}: ${rule}`);
    this.option = option;
  }
}

export type CliFailureCode =
  /** The device answered with an unexpected status. */
  | "CLI_DEVICE_STATUS"
  /** A feature this command wraps cannot run here (e.g. no patched QEMU). */
  | "CLI_UNAVAILABLE"
  /** @bplab/qemu-patches failed (source, patch, build or test step). */
  | "CLI_QEMU"
  /** A check the command makes failed (a read-back mismatch, a failing scenario). */
  | "CLI_CHECK_FAILED";

export class CliFailure extends CodedError<CliFailureCode> {}
