/**
 * `bplab scenario --target core|qemu|all`: runs the host package's scenario suite. One target
 * prints a pass/fail table; `all` prints the conformance matrix (scenario x target) judged by
 * @bplab/qtest's conformance module, the same rules as its conformance test: any difference between
 * the core and QEMU is a bug in one of them, except RPMB scenarios, which are core-only (MC-34).
 * A QEMU that cannot run here is reported with the build command instead of failing obscurely.
 */
import {
  runScenario,
  type Scenario,
  type ScenarioResult,
  selectScenarios,
  type TargetFactory,
  TargetUnsupportedError,
} from "@bplab/host";
import { inProcessTargetFactory } from "@bplab/in-process-target";
import {
  type ConformanceRow,
  createQemuTargetFactory,
  describeConformance,
  findPatchedQemu,
  formatConformanceSummary,
  formatMatrixHeader,
  formatMatrixRow,
  judgeConformance,
  matrixLayout,
  summarizeConformance,
} from "@bplab/qtest";
import { CliFailure } from "../errors.js";
import type { CliIo } from "../io.js";

export const SCENARIO_TARGETS = ["core", "qemu", "all"] as const;
export type ScenarioTargetChoice = (typeof SCENARIO_TARGETS)[number];
type TargetName = "core" | "qemu";

export interface ScenarioCommandOptions {
  target: ScenarioTargetChoice;
  json?: boolean;
  filter?: string;
}

/** A target to run on, or why it cannot run here (the reason names the build command for QEMU). */
export type TargetAvailability = { factory: TargetFactory } | { unavailable: string };

async function targetFactory(name: TargetName): Promise<TargetAvailability> {
  if (name === "core") return { factory: inProcessTargetFactory() };
  try {
    // Finds the patched QEMU once (its message names the build command when there is none), so an
    // unpatched QEMU does not fail every scenario for that one reason.
    const binary = await findPatchedQemu();
    return { factory: createQemuTargetFactory({ binary: binary.path }) };
  } catch (error) {
    if (error instanceof TargetUnsupportedError) return { unavailable: error.message };
    throw error;
  }
}

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n")[0] ?? "";
}

function countLine(name: string, results: readonly ScenarioResult[]): string {
  const count = (outcome: string) => results.filter((r) => r.outcome === outcome).length;
  return `${name}: ${count("passed")} passed, ${count("failed")} failed, ${count("skipped")} skipped\n`;
}

/** For each failure, its message and the last transcript lines, so the cause is on screen. */
function failureDetails(name: string, results: readonly ScenarioResult[]): string {
  return results
    .filter((r) => r.outcome === "failed")
    .map(
      (failed) =>
        `\n${failed.id} failed on ${name}: ${failed.message ?? ""}\n${(failed.transcriptTail ?? []).map((l) => `  ${l}`).join("\n")}\n`,
    )
    .join("");
}

function unavailableLine(name: TargetName, reason: string, json: boolean | undefined): string {
  return json
    ? `${JSON.stringify({ target: name, outcome: "unavailable", message: reason })}\n`
    : `\n${name}: not available yet: ${reason}\n`;
}

/** One target: a table of results, a count line, then the failures. */
async function runOnOneTarget(
  io: CliIo,
  name: TargetName,
  scenarios: readonly Scenario[],
  json: boolean | undefined,
): Promise<ScenarioResult[]> {
  const availability = await targetFactory(name);
  if ("unavailable" in availability) {
    io.out(unavailableLine(name, availability.unavailable, json));
    throw new CliFailure("CLI_UNAVAILABLE", `no target could run: ${name}`);
  }
  const idWidth = Math.max(...scenarios.map((s) => s.id.length));
  if (!json)
    io.out(`\n${name}: ${scenarios.length} scenarios\n${"scenario".padEnd(idWidth)}  result   note\n`);
  const results: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    const result = await runScenario(scenario, availability.factory);
    results.push(result);
    if (json) io.out(`${JSON.stringify({ ...result, target: name })}\n`);
    else io.out(`${result.id.padEnd(idWidth)}  ${result.outcome.padEnd(7)}  ${firstLine(result.message)}\n`);
  }
  if (!json) io.out(countLine(name, results) + failureDetails(name, results));
  const failures = results.filter((r) => r.outcome === "failed").length;
  if (failures > 0) throw new CliFailure("CLI_CHECK_FAILED", `${failures} scenario(s) failed`);
  return results;
}

/** A JSON line per matrix row: both outcomes, the verdict and the first difference. */
function comparisonJson(row: ConformanceRow): string {
  const difference = row.difference && {
    field: row.difference.field,
    core: row.difference.a ?? null,
    qemu: row.difference.b ?? null,
  };
  return `${JSON.stringify({
    kind: "comparison",
    id: row.label,
    core: row.core.outcome,
    qemu: row.qemu?.outcome ?? "unavailable",
    verdict: row.verdict,
    ...(difference ? { difference } : {}),
    ...(row.verdict === "identical" || row.verdict === "not-compared"
      ? {}
      : { detail: describeConformance(row) }),
  })}\n`;
}

/**
 * Both targets, scenario by scenario (each on a fresh target), printed as a matrix row as soon as
 * the pair is judged. Exit 1 on any failure or mismatch; a QEMU that cannot run leaves the core
 * column only, with the reason (and build command) in the qemu column's place.
 */
export async function runScenarioMatrix(
  io: CliIo,
  scenarios: readonly Scenario[],
  targets: { core: TargetFactory; qemu: TargetAvailability },
  json?: boolean,
): Promise<ScenarioResult[]> {
  const { core, qemu } = targets;
  const unavailable = "unavailable" in qemu ? qemu.unavailable : undefined;
  const layout = matrixLayout(scenarios.map((scenario) => scenario.id));
  if (unavailable !== undefined) io.out(unavailableLine("qemu", unavailable, json));
  if (!json) io.out(`\ncore vs qemu: ${scenarios.length} scenarios\n${formatMatrixHeader(layout)}\n`);
  const rows: ConformanceRow[] = [];
  for (const scenario of scenarios) {
    const onCore = await runScenario(scenario, core);
    const onQemu = "factory" in qemu ? await runScenario(scenario, qemu.factory) : undefined;
    const row = judgeConformance(scenario, onCore, onQemu);
    rows.push(row);
    if (json) {
      io.out(`${JSON.stringify({ ...onCore, target: "core" })}\n`);
      if (onQemu) io.out(`${JSON.stringify({ ...onQemu, target: "qemu" })}\n`);
      io.out(comparisonJson(row));
    } else io.out(`${formatMatrixRow(row, layout)}\n`);
  }
  const summary = summarizeConformance(rows);
  const coreResults = rows.map((row) => row.core);
  const qemuResults = rows.flatMap((row) => (row.qemu ? [row.qemu] : []));
  if (!json) {
    io.out(`${countLine("core", coreResults)}`);
    io.out(unavailable === undefined ? countLine("qemu", qemuResults) : `qemu: not run: ${unavailable}\n`);
    io.out(`${formatConformanceSummary(summary)}\n`);
    io.out(failureDetails("core", coreResults) + failureDetails("qemu", qemuResults));
  }
  if (!summary.ok) {
    const bad = summary.counts.mismatch + summary.counts.failed;
    throw new CliFailure(
      "CLI_CHECK_FAILED",
      `${bad} of ${summary.rows} scenario(s) failed or differ between core and qemu`,
    );
  }
  return [...coreResults, ...qemuResults];
}

/** Runs the command and returns every result (both targets' for `all`); throws CliFailure to exit 1. */
export async function runScenarioCommand(
  io: CliIo,
  options: ScenarioCommandOptions,
): Promise<ScenarioResult[]> {
  const scenarios = selectScenarios(options.filter);
  if (scenarios.length === 0)
    throw new CliFailure("CLI_CHECK_FAILED", `no scenario id contains ${JSON.stringify(options.filter)}`);
  return options.target === "all"
    ? runScenarioMatrix(
        io,
        scenarios,
        { core: inProcessTargetFactory(), qemu: await targetFactory("qemu") },
        options.json,
      )
    : runOnOneTarget(io, options.target, scenarios, options.json);
}
