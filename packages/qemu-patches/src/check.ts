/**
 * The quality gates of the series: checkpatch reports no error on any patch, every prefix of the
 * series builds (bisectable), the Boot Partition qtests pass and the stock nvme qtests still pass.
 */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { type BuildOptions, build, buildEnv, compileTree, lockPath } from "./build.js";
import { type CheckpatchReport, checkpatchSeries } from "./checkpatch.js";
import { withLock } from "./lock.js";
import { type BuildLayout, bisectLayout, defaultPatchesDir } from "./paths.js";
import { type CommandRunner, runChecked, runCommand } from "./process.js";
import { StepReporter } from "./progress.js";
import { type QtestResult, runQtests } from "./qtests.js";
import { loadSeries } from "./series.js";
import { fetchSource } from "./source.js";
import { prepareTree } from "./tree.js";

export const GATE_NAMES = ["checkpatch", "bisect", "qtests", "stock-qtests"] as const;
export type GateName = (typeof GATE_NAMES)[number];

export interface GateResult {
  readonly name: GateName;
  readonly ok: boolean;
  /** One line for the report. */
  readonly summary: string;
  readonly details: readonly string[];
  readonly durationMs: number;
  readonly cached?: boolean;
}

export interface CheckOptions extends BuildOptions {
  /** The gates to run; default all of them. */
  gates?: readonly GateName[];
}

export interface CheckResult {
  readonly ok: boolean;
  readonly key: string;
  readonly gates: readonly GateResult[];
  readonly qtests?: QtestResult;
}

function checkpatchGate(reports: readonly CheckpatchReport[], durationMs: number): GateResult {
  const errors = reports.reduce((sum, report) => sum + report.errors, 0);
  const warnings = reports.reduce((sum, report) => sum + report.warnings, 0);
  return {
    name: "checkpatch",
    ok: errors === 0,
    summary: `${reports.length} patches: ${errors} errors, ${warnings} warnings`,
    details: reports.flatMap((report) => [
      `${report.patch}: ${report.errors} errors, ${report.warnings} warnings`,
      ...report.findings.map((finding) => `  ${finding}`),
    ]),
    durationMs,
  };
}

interface BisectRecord {
  readonly key: string;
  readonly built: readonly string[];
}

/**
 * Builds every proper prefix of the series in its own tree (the whole series is the main build).
 * The result is cached per build key: the same patches need not be bisected twice.
 */
async function bisectGate(options: CheckOptions, key: string, runner: CommandRunner): Promise<GateResult> {
  const reporter = new StepReporter("bisect", options.onProgress, options.clock);
  const series = loadSeries(options.patchesDir ?? defaultPatchesDir());
  const layout = bisectLayout(key, options);
  const recordFile = join(layout.root, "bisect.json");
  const prefixes = series.patches.slice(0, -1);
  const cached = (): GateResult | undefined => {
    if (!existsSync(recordFile)) return undefined;
    const record = JSON.parse(readFileSync(recordFile, "utf8")) as BisectRecord;
    if (record.key !== key || record.built.length !== prefixes.length) return undefined;
    return {
      name: "bisect",
      ok: true,
      summary: `${series.patches.length} prefixes build (cached)`,
      details: record.built,
      durationMs: Math.round(reporter.elapsedMs),
      cached: true,
    };
  };
  const lock = lockPath(layout);
  return (
    cached() ??
    withLock(
      lock,
      async () => cached() ?? (await bisectLocked(options, { key, layout, recordFile, runner, reporter })),
      {
        onWait: (pid) => reporter.report(`waiting for process ${pid}, which holds ${lock}`),
        ...options.lock,
      },
    )
  );
}

interface BisectContext {
  readonly key: string;
  readonly layout: BuildLayout;
  readonly recordFile: string;
  readonly runner: CommandRunner;
  readonly reporter: StepReporter;
}

async function bisectLocked(options: CheckOptions, context: BisectContext): Promise<GateResult> {
  const { key, layout, recordFile, runner, reporter } = context;
  const series = loadSeries(options.patchesDir ?? defaultPatchesDir());
  const prefixes = series.patches.slice(0, -1);
  const source = await fetchSource({ ...options, runner });
  const tree = await prepareTree({ layout, key, source, series, runner, reporter });
  const env = buildEnv(layout, options);
  const built: string[] = [];
  const details: string[] = [];
  for (const [index, patch] of prefixes.entries()) {
    reporter.report(`building patches 1-${index + 1} (${patch.name})`, index + 1, series.patches.length);
    await runChecked(runner, "git", ["checkout", "-q", tree.commits[index] ?? ""], { cwd: layout.sourceDir });
    try {
      await compileTree({
        layout,
        env,
        jobs: options.jobs ?? availableParallelism(),
        runner,
        reporter: new StepReporter(
          `bisect ${index + 1}/${series.patches.length}`,
          options.onProgress,
          options.clock,
        ),
        logName: `ninja-prefix-${index + 1}`,
      });
      built.push(patch.name);
      details.push(`${patch.name}: builds`);
    } catch (error) {
      details.push(`${patch.name}: does not build: ${(error as Error).message}`);
      return {
        name: "bisect",
        ok: false,
        summary: `the series up to ${patch.name} does not build`,
        details,
        durationMs: Math.round(reporter.elapsedMs),
      };
    }
  }
  details.push(`${series.patches.at(-1)?.name}: the main build`);
  mkdirSync(layout.root, { recursive: true });
  writeFileSync(recordFile, `${JSON.stringify({ key, built } satisfies BisectRecord, null, 2)}\n`);
  return {
    name: "bisect",
    ok: true,
    summary: `${series.patches.length} prefixes build`,
    details,
    durationMs: Math.round(reporter.elapsedMs),
  };
}

function qtestGates(result: QtestResult): GateResult[] {
  const describe = (counts: { passed: number; failed: number; skipped: number }) =>
    `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
  const failures = result.tests.filter((test) => !test.ok).map((test) => `not ok ${test.name}`);
  return [
    {
      name: "qtests",
      ok: result.bootPartition.failed === 0 && result.bootPartition.passed > 0,
      summary: `Boot Partition qtests: ${describe(result.bootPartition)}`,
      details: failures,
      durationMs: result.durationMs,
    },
    {
      name: "stock-qtests",
      ok: result.stock.failed === 0 && result.stock.passed > 0,
      summary: `stock nvme qtests: ${describe(result.stock)}`,
      details: failures,
      durationMs: result.durationMs,
    },
  ];
}

/** Builds (cached) and runs the gates; `ok` is true when every gate that ran passed. */
export async function check(options: CheckOptions = {}): Promise<CheckResult> {
  const runner = options.runner ?? runCommand;
  const wanted = new Set<GateName>(options.gates ?? GATE_NAMES);
  const built = await build({ ...options, runner });
  const gates: GateResult[] = [];
  let qtests: QtestResult | undefined;
  if (wanted.has("checkpatch")) {
    const reporter = new StepReporter("checkpatch", options.onProgress, options.clock);
    reporter.report("scripts/checkpatch.pl on every patch");
    const series = loadSeries(options.patchesDir ?? defaultPatchesDir());
    const reports = await checkpatchSeries(built.layout.sourceDir, series, runner);
    gates.push(checkpatchGate(reports, Math.round(reporter.elapsedMs)));
  }
  if (wanted.has("bisect")) gates.push(await bisectGate(options, built.key, runner));
  if (wanted.has("qtests") || wanted.has("stock-qtests")) {
    qtests = await runQtests({ ...options, runner });
    gates.push(...qtestGates(qtests).filter((gate) => wanted.has(gate.name)));
  }
  return { ok: gates.every((gate) => gate.ok), key: built.key, gates, ...(qtests ? { qtests } : {}) };
}
