/**
 * Runs external commands (apt-get, dpkg-deb, tar, git, ninja, qos-test) without a shell, streams
 * their output line by line, keeps a bounded tail for error messages and can append everything to
 * a log file. Code takes a `CommandRunner` so tests can replace the real one.
 */
import { spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { CommandFailedError } from "./errors.js";

export interface RunOptions {
  readonly cwd?: string;
  /** The environment; default this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Called for every line of stdout and stderr as it arrives (`\n`, `\r\n` or a lone `\r` ends one). */
  readonly onLine?: (line: string) => void;
  /** Append all output to this file. */
  readonly logFile?: string;
  /**
   * Keep all of stdout in the result; default true. Chatty commands whose output goes to a log
   * file (ninja) may pass false; `tail` is kept either way.
   */
  readonly captureStdout?: boolean;
  /** Exit codes runChecked accepts; default [0]. */
  readonly okExitCodes?: readonly number[];
}

export interface RunResult {
  /** null when the command was killed by a signal or could not start (the reason is in stderr). */
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The last lines of stdout and stderr together, in arrival order. */
  readonly tail: string;
}

/** Runs one command; resolves with its result, also when it fails (runChecked decides). */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options?: RunOptions,
) => Promise<RunResult>;

/** How many lines `tail` keeps. */
export const TAIL_LINES = 40;

/** Quotes a command for messages so a user can paste it into a shell. */
export function formatCommand(command: string, args: readonly string[]): string {
  const quote = (word: string) =>
    /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
  return [command, ...args].map(quote).join(" ");
}

/** Cuts a stream into lines; a chunk may end in the middle of one. */
class LineSplitter {
  private pending = "";

  constructor(private readonly emit: (line: string) => void) {}

  push(chunk: string): void {
    const lines = (this.pending + chunk).split(/\r?\n|\r/);
    this.pending = lines.pop() ?? "";
    for (const line of lines) this.emit(line);
  }

  end(): void {
    if (this.pending) this.emit(this.pending);
    this.pending = "";
  }
}

/** The real runner: spawns the command without a shell. Never rejects. */
export const runCommand: CommandRunner = (command, args, options = {}) =>
  new Promise((resolve) => {
    const tail: string[] = [];
    const captured = { stdout: "", stderr: "" };
    const log: WriteStream | undefined = options.logFile
      ? createWriteStream(options.logFile, { flags: "a" })
      : undefined;
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
      if (options.captureStdout !== false) captured.stdout += chunk;
      out.push(chunk);
    });
    child.stderr.on("data", (chunk: string) => {
      captured.stderr += chunk;
      err.push(chunk);
    });
    let settled = false;
    const finish = (exitCode: number | null) => {
      if (settled) return;
      settled = true;
      out.end();
      err.end();
      const result = { exitCode, ...captured, tail: tail.join("\n") };
      // resolve once the log is on disk, so a caller can read it right away
      if (log) log.end(() => resolve(result));
      else resolve(result);
    };
    // could not start (ENOENT, EACCES): report it as output of a command without an exit code
    child.once("error", (error) => {
      const line = `${formatCommand(command, args)}: ${error.message}`;
      captured.stderr += `${line}\n`;
      keep(line);
      finish(null);
    });
    child.once("close", (code) => finish(code));
  });

/**
 * Runs a command and throws CommandFailedError (with `failureCode` as its code) unless it exits
 * with an accepted code.
 */
export async function runChecked<Code extends string = "COMMAND_FAILED">(
  runner: CommandRunner,
  command: string,
  args: readonly string[],
  options: RunOptions & { readonly failureCode?: Code } = {},
): Promise<RunResult> {
  const { failureCode, ...runOptions } = options;
  const result = await runner(command, args, runOptions);
  const ok = options.okExitCodes ?? [0];
  if (result.exitCode === null || !ok.includes(result.exitCode)) {
    throw new CommandFailedError(formatCommand(command, args), result.exitCode, result.tail, failureCode);
  }
  return result;
}
