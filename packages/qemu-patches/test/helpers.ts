/** Shared test helpers: temporary directories, a scripted command runner and a fake clock. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { CommandRunner, RunOptions, RunResult } from "../src/process.js";

const made: string[] = [];

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = "bplab-qemu-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export interface RecordedCall {
  readonly command: string;
  readonly args: readonly string[];
  readonly options: RunOptions;
}

export interface ScriptedReply {
  readonly exitCode?: number | null;
  readonly lines?: readonly string[];
  readonly stdout?: string;
}

/**
 * A runner that answers from a script: the first matcher that accepts a call decides the reply;
 * calls nothing matches succeed silently. Every call is recorded.
 */
export function scriptedRunner(
  script: ReadonlyArray<[(command: string, args: readonly string[]) => boolean, ScriptedReply]> = [],
): CommandRunner & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const runner = async (
    command: string,
    args: readonly string[],
    options: RunOptions = {},
  ): Promise<RunResult> => {
    calls.push({ command, args, options });
    const reply = script.find(([matches]) => matches(command, args))?.[1] ?? {};
    for (const line of reply.lines ?? []) options.onLine?.(line);
    return {
      exitCode: reply.exitCode === undefined ? 0 : reply.exitCode,
      stdout: reply.stdout ?? (reply.lines ?? []).join("\n"),
      stderr: "",
      tail: (reply.lines ?? []).join("\n"),
    };
  };
  return Object.assign(runner, { calls });
}

export function fakeClock(startMs = 0) {
  let now = startMs;
  return {
    nowMs: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}
