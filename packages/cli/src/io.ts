/**
 * Where a command writes. Injected so tests run commands in process and read what they printed;
 * `progressStream` is set only for a terminal, because a progress bar in a log file is noise.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** A TTY to draw progress bars on, or undefined (no bar). */
  progressStream?: NodeJS.WriteStream;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    progressStream: process.stderr.isTTY ? process.stderr : undefined,
  };
}

/** Collects everything a command prints; for tests. */
export function memoryIo(): CliIo & { stdout(): string; stderr(): string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    stdout: () => out.join(""),
    stderr: () => err.join(""),
  };
}
