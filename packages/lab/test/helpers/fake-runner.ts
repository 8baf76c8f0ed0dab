import type { CommandResult, CommandRunner } from "../../src/host-system.js";

export interface FakeCall {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string | undefined;
}

/** A CommandRunner that answers from a function and records every call. */
export function fakeRunner(answer: (command: string, args: readonly string[]) => Partial<CommandResult>): {
  runner: CommandRunner;
  calls: FakeCall[];
} {
  const calls: FakeCall[] = [];
  const runner: CommandRunner = async (command, args, options) => {
    calls.push({ command, args, cwd: options?.cwd });
    return { exitCode: 0, stdout: "", stderr: "", tail: "", ...answer(command, args) };
  };
  return { runner, calls };
}
