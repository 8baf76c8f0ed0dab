/** Runs the nvme qos-test set (the stock tests and the series' Boot Partition tests). */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type BuildOptions, planBuild } from "./build.js";
import { QemuNotBuiltError } from "./errors.js";
import { BP_TEST_MARKER, BUILD_COMMAND, NVME_QOS_PATH } from "./pins.js";
import { type CommandRunner, formatCommand, runCommand } from "./process.js";
import { type Clock, type ProgressListener, StepReporter } from "./progress.js";
import { parseTapLine, summarizeTap, type TapSummary, type TapTest } from "./tap.js";

export interface QtestOptions extends Pick<BuildOptions, "cacheDir" | "env" | "patchesDir" | "source"> {
  /** The qos-test path prefix to run; default every nvme test. */
  path?: string;
  runner?: CommandRunner;
  onProgress?: ProgressListener;
  clock?: Clock;
}

export interface QtestCounts {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface QtestResult extends TapSummary {
  /** The series' Boot Partition tests. */
  readonly bootPartition: QtestCounts;
  /** The tests that were there before the series. */
  readonly stock: QtestCounts;
  readonly exitCode: number | null;
  readonly command: string;
  readonly durationMs: number;
  /** The last lines of output, for failures. */
  readonly outputTail: string;
}

function counts(tests: readonly TapTest[]): QtestCounts {
  const { passed, failed, skipped } = summarizeTap(tests);
  return { passed, failed, skipped };
}

/**
 * Runs qos-test of the cached build. Needs a build (see build()); throws QemuNotBuiltError
 * otherwise. A test program that exits with a failure but prints no failing test line counts as
 * one failed test, so a crash is never read as a pass.
 */
export async function runQtests(options: QtestOptions = {}): Promise<QtestResult> {
  const planned = planBuild(options);
  const { layout } = planned;
  if (!existsSync(layout.qosTest) || !existsSync(layout.binary)) {
    throw new QemuNotBuiltError(layout.binary, BUILD_COMMAND);
  }
  const runner = options.runner ?? runCommand;
  const reporter = new StepReporter("qtest", options.onProgress, options.clock);
  const args = ["--tap", "-k", "-r", options.path ?? NVME_QOS_PATH];
  const tests: TapTest[] = [];
  const env = { ...(options.env ?? process.env), QTEST_QEMU_BINARY: "./qemu-system-x86_64" };
  mkdirSync(layout.logDir, { recursive: true });
  const result = await runner(layout.qosTest, args, {
    cwd: layout.buildDir,
    env,
    logFile: join(layout.logDir, "qtest.log"),
    captureStdout: false,
    onLine: (line) => {
      const test = parseTapLine(line);
      if (!test) return;
      tests.push(test);
      reporter.report(`${test.ok ? "ok" : "not ok"} ${test.name}`, tests.length);
    },
  });
  if (result.exitCode !== 0 && !tests.some((test) => !test.ok)) {
    tests.push({
      ok: false,
      number: tests.length + 1,
      name: `qos-test exited with ${result.exitCode ?? "a signal"}`,
    });
  }
  const summary = summarizeTap(tests);
  return {
    ...summary,
    bootPartition: counts(tests.filter((test) => test.name.includes(BP_TEST_MARKER))),
    stock: counts(tests.filter((test) => !test.name.includes(BP_TEST_MARKER))),
    exitCode: result.exitCode,
    command: `QTEST_QEMU_BINARY=./qemu-system-x86_64 ${formatCommand(layout.qosTest, args)}`,
    durationMs: Math.round(reporter.elapsedMs),
    outputTail: result.tail,
  };
}
