/**
 * Conformance of the scenario suite across targets: the in-process core against the patched QEMU.
 * The project rule is that any difference between them is a bug in one of them, so a row is good
 * only when both pass with identical observations. The single exception is a scenario that needs
 * the core's RPMB mode, which QEMU does not model (MC-34): QEMU skips it and the row is core-only.
 * The conformance test and `bplab scenario --target all` both use this module, so they judge and
 * print the matrix the same way. The same rules hold for more targets (core | qemu | vfio-user):
 * judgeConformanceAcross judges the core against each other target and keeps the worst verdict.
 */
import {
  compareRuns,
  type ObservationDifference,
  type ObservationValue,
  runScenario,
  type Scenario,
  type ScenarioResult,
  type TargetFactory,
} from "@bplab/host";

/**
 * identical: both passed, same observations. core-only: an RPMB scenario QEMU skips (MC-34).
 * mismatch: outcomes or observations differ. failed: both failed, or both skipped, so nothing was
 * compared. not-compared: the QEMU target could not run at all (the row holds only the core result).
 */
export type ConformanceVerdict = "identical" | "core-only" | "mismatch" | "failed" | "not-compared";

export interface ConformanceRow {
  /** The scenario id, with a suffix when the same scenario runs in another mode ("… [restart]"). */
  readonly label: string;
  readonly core: ScenarioResult;
  /** undefined when the QEMU target could not run at all. */
  readonly qemu: ScenarioResult | undefined;
  readonly verdict: ConformanceVerdict;
  /** The first differing field (the outcome first), for a mismatch. */
  readonly difference?: ObservationDifference;
  /**
   * The compared targets in column order, for a row over more than core and qemu
   * (judgeConformanceAcross); absent means the single column "qemu" holding `qemu`.
   */
  readonly columns?: readonly ConformanceColumn[];
  /** The target whose result differs from the core's (a mismatch) or failed; default "qemu". */
  readonly side?: string;
}

/** One non-core target's result in a matrix row; undefined when the target could not run at all. */
export interface ConformanceColumn {
  readonly target: string;
  readonly result: ScenarioResult | undefined;
}

/** Verdicts a run may end with and still count as a success (exit 0, test passes). */
const GOOD_VERDICTS: ReadonlySet<ConformanceVerdict> = new Set(["identical", "core-only", "not-compared"]);

/** True for scenarios only the core can run: RPMB-controlled write protection (MC-34). */
export function isCoreOnlyScenario(scenario: Scenario): boolean {
  return scenario.request?.rpmb !== undefined;
}

/** Judges one scenario's results on both targets (compareRuns of @bplab/host finds the difference). */
export function judgeConformance(
  scenario: Scenario,
  core: ScenarioResult,
  qemu: ScenarioResult | undefined,
  label = scenario.id,
): ConformanceRow {
  if (qemu === undefined) {
    return { label, core, qemu, verdict: core.outcome === "failed" ? "failed" : "not-compared" };
  }
  if (isCoreOnlyScenario(scenario) && core.outcome === "passed" && qemu.outcome === "skipped") {
    return { label, core, qemu, verdict: "core-only" };
  }
  const difference = compareRuns([core], [qemu])[0]?.difference;
  if (difference) return { label, core, qemu, verdict: "mismatch", difference };
  return { label, core, qemu, verdict: core.outcome === "passed" ? "identical" : "failed" };
}

/** The verdicts from worst to best: a row over several targets gets the first one any target has. */
const VERDICT_SEVERITY: readonly ConformanceVerdict[] = [
  "mismatch",
  "failed",
  "core-only",
  "identical",
  "not-compared",
];

/**
 * Judges one scenario's core result against every other target's (column order kept): each pair is
 * judged by judgeConformance and the row takes the worst verdict, naming the target it came from.
 * With only `{ qemu }` the row equals judgeConformance's, so two-target output does not change.
 */
export function judgeConformanceAcross(
  scenario: Scenario,
  core: ScenarioResult,
  others: Readonly<Record<string, ScenarioResult | undefined>>,
  label = scenario.id,
): ConformanceRow {
  const columns = Object.entries(others).map(([target, result]) => ({ target, result }));
  const pairs = columns.map(({ target, result }) => ({
    target,
    row: judgeConformance(scenario, core, result, label),
  }));
  const worst = VERDICT_SEVERITY.map((verdict) => pairs.find(({ row }) => row.verdict === verdict)).find(
    (pair) => pair !== undefined,
  );
  if (!worst) return { label, core, qemu: undefined, verdict: "not-compared", columns };
  return { ...worst.row, qemu: others.qemu, columns, side: worst.target };
}

/** Runs one scenario on the core and on QEMU at the same time (each on a fresh target), and judges the pair. */
export async function compareScenario(
  scenario: Scenario,
  factories: { core: TargetFactory; qemu: TargetFactory },
  label = scenario.id,
): Promise<ConformanceRow> {
  // Each run has its own target, so the core's run overlaps the wait for QEMU to start.
  const [core, qemu] = await Promise.all([
    runScenario(scenario, factories.core),
    runScenario(scenario, factories.qemu),
  ]);
  return judgeConformance(scenario, core, qemu, label);
}

export function isGoodVerdict(verdict: ConformanceVerdict): boolean {
  return GOOD_VERDICTS.has(verdict);
}

function formatValue(value: ObservationValue | undefined): string {
  if (value === undefined) return "(absent)";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The row's non-core columns: those it was judged over, else the single qemu column. */
export function conformanceColumns(row: ConformanceRow): readonly ConformanceColumn[] {
  return row.columns ?? [{ target: "qemu", result: row.qemu }];
}

function namedSides(row: ConformanceRow): Array<[string, ScenarioResult]> {
  const sides: Array<[string, ScenarioResult]> = [["core", row.core]];
  for (const { target, result } of conformanceColumns(row)) if (result) sides.push([target, result]);
  return sides;
}

/** The side a mismatch is about: core and the differing target. */
function mismatchSides(row: ConformanceRow): Array<[string, ScenarioResult]> {
  const side = row.side ?? "qemu";
  return namedSides(row).filter(([name]) => name === "core" || name === side);
}

function firstLine(text: string | undefined): string {
  return (text ?? "").split("\n")[0] ?? "";
}

/**
 * What a person needs to find the faulty side: the first differing field with both values, and
 * when an outcome differs, why each side ended as it did.
 */
export function describeConformance(row: ConformanceRow): string {
  switch (row.verdict) {
    case "identical":
    case "not-compared":
      return "";
    case "core-only":
      return conformanceColumns(row)
        .filter(({ result }) => result?.outcome === "skipped")
        .map(({ target, result }) => `${target} skipped: ${firstLine(result?.message)}`)
        .join("; ");
    case "failed":
      return namedSides(row)
        .filter(([, result]) => result.outcome !== "passed")
        .map(([side, result]) => `${side} ${result.outcome}: ${firstLine(result.message)}`)
        .join("; ");
    case "mismatch": {
      const difference = row.difference as ObservationDifference;
      const head = `${difference.field}: core ${formatValue(difference.a)}, ${row.side ?? "qemu"} ${formatValue(difference.b)}`;
      if (difference.field !== "outcome") return head;
      const why = mismatchSides(row)
        .filter(([, result]) => result.message !== undefined)
        .map(([side, result]) => `${side}: ${firstLine(result.message)}`);
      return why.length > 0 ? `${head} (${why.join("; ")})` : head;
    }
  }
}

/** The column widths of a matrix whose longest label has `labelWidth` characters. */
export interface MatrixLayout {
  readonly labelWidth: number;
  /** The non-core columns, in order; default ["qemu"]. */
  readonly targets?: readonly string[];
}

const UNAVAILABLE_CELL = "unavailable";
/** The widest cell plus two spaces between columns. */
const OUTCOME_WIDTH = UNAVAILABLE_CELL.length + 2;

function cell(text: string): string {
  return text.padEnd(OUTCOME_WIDTH);
}

export function matrixLayout(labels: readonly string[], targets?: readonly string[]): MatrixLayout {
  const labelWidth = Math.max("scenario".length, ...labels.map((label) => label.length));
  return targets === undefined ? { labelWidth } : { labelWidth, targets };
}

function layoutTargets(layout: MatrixLayout): readonly string[] {
  return layout.targets ?? ["qemu"];
}

export function formatMatrixHeader(layout: MatrixLayout): string {
  const columns = ["core", ...layoutTargets(layout)].map(cell).join("");
  return `${"scenario".padEnd(layout.labelWidth)}  ${columns}verdict`;
}

/** One matrix line: scenario, core outcome, QEMU outcome, verdict and what differs. */
export function formatMatrixRow(row: ConformanceRow, layout: MatrixLayout): string {
  const detail = describeConformance(row);
  const verdict = row.verdict === "mismatch" ? "MISMATCH" : row.verdict;
  const results = new Map(conformanceColumns(row).map(({ target, result }) => [target, result]));
  const columns = layoutTargets(layout)
    .map((target) => cell(results.get(target)?.outcome ?? UNAVAILABLE_CELL))
    .join("");
  return `${row.label.padEnd(layout.labelWidth)}  ${cell(row.core.outcome)}${columns}${verdict}${detail ? `  ${detail}` : ""}`;
}

export interface ConformanceSummary {
  readonly rows: number;
  readonly counts: Readonly<Record<ConformanceVerdict, number>>;
  /** True when every row is identical, core-only or (without QEMU) not compared. */
  readonly ok: boolean;
}

export function summarizeConformance(rows: readonly ConformanceRow[]): ConformanceSummary {
  const counts: Record<ConformanceVerdict, number> = {
    identical: 0,
    "core-only": 0,
    mismatch: 0,
    failed: 0,
    "not-compared": 0,
  };
  for (const row of rows) counts[row.verdict] += 1;
  return { rows: rows.length, counts, ok: rows.every((row) => isGoodVerdict(row.verdict)) };
}

/**
 * The summary line. `targets` names the non-core columns (default ["qemu"]); `unavailable` those
 * that could not run (default: all of them, which is what "not compared" means with one column).
 */
export function formatConformanceSummary(
  summary: ConformanceSummary,
  targets: readonly string[] = ["qemu"],
  unavailable: readonly string[] = targets,
): string {
  const { counts } = summary;
  return (
    `${["core", ...targets].join(" vs ")}: ${counts.identical} identical, ${counts["core-only"]} core-only (MC-34), ` +
    `${counts.mismatch} mismatched, ${counts.failed} failed` +
    (counts["not-compared"] > 0
      ? `, ${counts["not-compared"]} not compared (${unavailable.join(", ")} unavailable)`
      : "")
  );
}

/** The whole matrix as text: header, one line per row, the summary line. */
export function formatConformanceMatrix(rows: readonly ConformanceRow[]): string {
  const targets = rows[0]?.columns?.map((column) => column.target);
  const layout = matrixLayout(
    rows.map((row) => row.label),
    targets,
  );
  const unavailable = targets?.filter((target) =>
    rows.every(
      (row) => conformanceColumns(row).find((column) => column.target === target)?.result === undefined,
    ),
  );
  return [
    formatMatrixHeader(layout),
    ...rows.map((row) => formatMatrixRow(row, layout)),
    formatConformanceSummary(summarizeConformance(rows), targets, unavailable),
  ].join("\n");
}
