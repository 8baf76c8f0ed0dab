/**
 * External commands (apt-get, tar, git, configure, ninja, qos-test) run through
 * @bplab/node-kit's runner. Failures are node-kit's one CommandFailedError with this package's
 * code, QEMU_COMMAND_FAILED, which QemuPatchesError's instanceof accepts (see errors.ts).
 */
import {
  type CommandRunner,
  type RunOptions,
  type RunResult,
  runChecked as runCheckedWithCode,
} from "@bplab/node-kit";

export type { CommandRunner, RunOptions, RunResult } from "@bplab/node-kit";
export { formatCommand, runCommand } from "@bplab/node-kit";

/** Runs a command and throws CommandFailedError (QEMU_COMMAND_FAILED) unless it exits with an accepted code. */
export function runChecked(
  runner: CommandRunner,
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  return runCheckedWithCode(runner, command, args, { ...options, failureCode: "QEMU_COMMAND_FAILED" });
}
