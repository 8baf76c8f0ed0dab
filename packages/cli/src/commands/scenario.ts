/**
 * `bplab scenario --target core|qemu|vfio-user|all`: runs the host package's scenario suite. One
 * target prints a pass/fail table; `all` prints the conformance matrix core | qemu | vfio-user
 * judged by @bplab/qtest's conformance module, the same rules as the conformance tests: any
 * difference between the core and another target is a bug in one of them, except RPMB scenarios,
 * which are core-only (MC-34). A QEMU that cannot run here is reported with the build command
 * instead of failing obscurely.
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
  conformanceColumns,
  createQemuTargetFactory,
  describeConformance,
  findPatchedQemu,
  formatConformanceSummary,
  formatMatrixHeader,
  formatMatrixRow,
  judgeConformanceAcross,
  matrixLayout,
  summarizeConformance,
} from "@bplab/qtest";
import { createVfioUserTargetFactory, findVfioUserQemu } from "@bplab/vfio-user";
import { CliFailure } from "../errors.js";
import type { CliIo } from "../io.js";

export const SCENARIO_TARGETS = ["core", "qemu", "vfio-user", "all"] as const;
export type ScenarioTargetChoice = (typeof SCENARIO_TARGETS)[number];
type TargetName = Exclude<ScenarioTargetChoice, "all">;
/** The matrix columns after core, in order. */
type ComparedTargetName = Exclude<TargetName, "core">;

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
    // Finds the QEMU once (its message names the build command when there is none), so a missing
    // or wrong QEMU does not fail every scenario for that one reason. vfio-user needs the stock
    // build (its vfio-user-pci device); qemu needs the patched one (the nvme boot partitions).
    if (name === "vfio-user")
      return { factory: createVfioUserTargetFactory({ binary: await findVfioUserQemu() }) };
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

/** A JSON line per matrix row: every outcome, the verdict and the first difference. */
function comparisonJson(row: ConformanceRow): string {
  const side = row.side ?? "qemu";
  const difference = row.difference && {
    field: row.difference.field,
    core: row.difference.a ?? null,
    [side]: row.difference.b ?? null,
    ...(row.columns ? { target: side } : {}),
  };
  const outcomes = Object.fromEntries(
    conformanceColumns(row).map(({ target, result }) => [target, result?.outcome ?? "unavailable"]),
  );
  return `${JSON.stringify({
    kind: "comparison",
    id: row.label,
    core: row.core.outcome,
    ...outcomes,
    verdict: row.verdict,
    ...(difference ? { difference } : {}),
    ...(row.verdict === "identical" || row.verdict === "not-compared"
      ? {}
      : { detail: describeConformance(row) }),
  })}\n`;
}

/** The targets `--target all` compares with the core; without "vfio-user" the matrix is core | qemu. */
export type MatrixTargets = { core: TargetFactory; qemu: TargetAvailability } & Partial<
  Record<"vfio-user", TargetAvailability>
>;

/**
 * Every target, scenario by scenario (each on a fresh target), printed as a matrix row as soon as
 * the row is judged. Exit 1 on any failure or mismatch; a QEMU that cannot run leaves its column
 * "unavailable", with the reason (and build command) printed once above the matrix.
 */
export async function runScenarioMatrix(
  io: CliIo,
  scenarios: readonly Scenario[],
  targets: MatrixTargets,
  json?: boolean,
): Promise<ScenarioResult[]> {
  const names: ComparedTargetName[] = targets["vfio-user"] ? ["qemu", "vfio-user"] : ["qemu"];
  const compared = names.map((name) => ({ name, availability: targets[name] as TargetAvailability }));
  const unavailable = compared.flatMap(({ name, availability }) =>
    "unavailable" in availability ? [{ name, reason: availability.unavailable }] : [],
  );
  // Two targets keep the original core | qemu layout and wording.
  const columnNames = names.length > 1 ? names : undefined;
  const layout = matrixLayout(
    scenarios.map((scenario) => scenario.id),
    columnNames,
  );
  for (const { name, reason } of unavailable) io.out(unavailableLine(name, reason, json));
  if (!json)
    io.out(
      `\n${["core", ...names].join(" vs ")}: ${scenarios.length} scenarios\n${formatMatrixHeader(layout)}\n`,
    );
  const rows: ConformanceRow[] = [];
  for (const scenario of scenarios) {
    const onCore = await runScenario(scenario, targets.core);
    const others: Record<string, ScenarioResult | undefined> = {};
    for (const { name, availability } of compared)
      others[name] =
        "factory" in availability ? await runScenario(scenario, availability.factory) : undefined;
    const judged = judgeConformanceAcross(scenario, onCore, others);
    // A two-target row is exactly judgeConformance's, so its text and JSON stay as they were.
    const row: ConformanceRow = columnNames ? judged : { ...judged, columns: undefined, side: undefined };
    rows.push(row);
    if (json) {
      io.out(`${JSON.stringify({ ...onCore, target: "core" })}\n`);
      for (const name of names) {
        const result = others[name];
        if (result) io.out(`${JSON.stringify({ ...result, target: name })}\n`);
      }
      io.out(comparisonJson(row));
    } else io.out(`${formatMatrixRow(row, layout)}\n`);
  }
  const summary = summarizeConformance(rows);
  const coreResults = rows.map((row) => row.core);
  const resultsOf = (name: string) =>
    rows.flatMap((row) => {
      const result = conformanceColumns(row).find((column) => column.target === name)?.result;
      return result ? [result] : [];
    });
  if (!json) {
    io.out(`${countLine("core", coreResults)}`);
    for (const name of names) {
      const reason = unavailable.find((entry) => entry.name === name)?.reason;
      io.out(reason === undefined ? countLine(name, resultsOf(name)) : `${name}: not run: ${reason}\n`);
    }
    io.out(
      `${formatConformanceSummary(
        summary,
        names,
        unavailable.map((entry) => entry.name),
      )}\n`,
    );
    io.out(
      failureDetails("core", coreResults) +
        names.map((name) => failureDetails(name, resultsOf(name))).join(""),
    );
  }
  if (!summary.ok) {
    const bad = summary.counts.mismatch + summary.counts.failed;
    throw new CliFailure(
      "CLI_CHECK_FAILED",
      `${bad} of ${summary.rows} scenario(s) failed or differ between core and ${names.join(" or ")}`,
    );
  }
  return [...coreResults, ...names.flatMap(resultsOf)];
}

/** Runs the command and returns every result (every target's for `all`); throws CliFailure to exit 1. */
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
        {
          core: inProcessTargetFactory(),
          qemu: await targetFactory("qemu"),
          "vfio-user": await targetFactory("vfio-user"),
        },
        options.json,
      )
    : runOnOneTarget(io, options.target, scenarios, options.json);
}
