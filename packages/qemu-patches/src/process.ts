/**
 * Runs external commands (apt-get, tar, git, configure, ninja, qos-test) with their output
 * streamed line by line, kept in a bounded tail for error messages and optionally written to a
 * log file. Functions take a `CommandRunner` so tests can replace the real one.
 */
import { spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { CommandFailedError } from "./errors.js";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called for every line of stdout and stderr, as it arrives. */
  onLine?: (line: string) => void;
  /** Append all output to this file. */
  logFile?: string;
  /** Keep stdout in the result (for small outputs such as `git rev-parse`). */
  captureStdout?: boolean;
  /** Exit codes that count as success; default [0]. */
  okExitCodes?: readonly number[];
}

export interface RunResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  /** The last lines of stdout and stderr together. */
  readonly tail: string;
}

export type CommandRunner = (
  command: string,
  args: readonly string[],
  options?: RunOptions,
) => Promise<RunResult>;

const TAIL_LINES = 40;

/** Quotes a command for messages so a user can paste it into a shell. */
export function formatCommand(command: string, args: readonly string[]): string {
  const quote = (word: string) =>
    /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
  return [command, ...args].map(quote).join(" ");
}

class LineSplitter {
  private pending = "";

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: string): void {
    const lines = (this.pending + chunk).split(/\r?\n/);
    this.pending = lines.pop() ?? "";
    for (const line of lines) this.emit(line);
  }

  end(): void {
    if (this.pending) this.emit(this.pending);
    this.pending = "";
  }
}

/** The real runner: spawns the command without a shell. */
export const runCommand: CommandRunner = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const tail: string[] = [];
    let stdout = "";
    let log: WriteStream | undefined;
    if (options.logFile) log = createWriteStream(options.logFile, { flags: "a" });
    const keep = (line: string) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      log?.write(`${line}\n`);
      options.onLine?.(line);
    };
    const out = new LineSplitter(keep);
    const err = new LineSplitter(keep);
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      if (options.captureStdout) stdout += chunk;
      out.push(chunk);
    });
    child.stderr.on("data", (chunk: string) => err.push(chunk));
    child.on("error", (error) => {
      log?.end();
      reject(new CommandFailedError(formatCommand(command, args), null, String(error.message)));
    });
    child.on("close", (code) => {
      out.end();
      err.end();
      log?.end();
      resolve({ exitCode: code, stdout, tail: tail.join("\n") });
    });
  });

/** Runs a command and throws CommandFailedError unless it exits with an accepted code. */
export async function runChecked(
  runner: CommandRunner,
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await runner(command, args, options);
  const ok = options.okExitCodes ?? [0];
  if (result.exitCode === null || !ok.includes(result.exitCode)) {
    throw new CommandFailedError(formatCommand(command, args), result.exitCode, result.tail);
  }
  return result;
}
