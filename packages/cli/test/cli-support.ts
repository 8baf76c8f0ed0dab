import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryIo } from "../src/io.js";
import { runCli } from "../src/program.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `bplab <args>` in this process and collects what it printed. */
export async function bplab(...args: string[]): Promise<CliRun> {
  const io = memoryIo();
  const code = await runCli(args, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

/** The records of a `--json` run: one JSON value per printed line. */
// biome-ignore lint/suspicious/noExplicitAny: tests index into records of several shapes
export function jsonLines(stdout: string): any[] {
  return stdout
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line));
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "bplab-cli-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
