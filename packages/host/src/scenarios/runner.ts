import { Transcript } from "../driver/transcript.js";
import { type TargetFactory, TargetUnsupportedError } from "../target.js";
import { ScenarioContext } from "./context.js";
import { ScenarioSkippedError } from "./errors.js";
import type { Observations, ObservationValue } from "./observations.js";
import { ALL_SCENARIOS } from "./suite.js";
import type { Scenario, ScenarioResult } from "./types.js";

/** Transcript lines kept with a failed result. */
const TRANSCRIPT_TAIL_LINES = 12;

export type ScenarioFilter = string | RegExp | ((scenario: Scenario) => boolean);

export interface RunScenariosOptions {
  /** A substring of the id, a RegExp on the id, or a predicate. */
  filter?: ScenarioFilter;
  /** The scenarios to choose from; the whole suite by default. */
  scenarios?: readonly Scenario[];
  /** Called after each scenario, e.g. to print a table row as it finishes. */
  onResult?: (result: ScenarioResult) => void;
}

export function selectScenarios(
  filter?: ScenarioFilter,
  scenarios: readonly Scenario[] = ALL_SCENARIOS,
): Scenario[] {
  if (filter === undefined) return [...scenarios];
  if (typeof filter === "string") return scenarios.filter((s) => s.id.includes(filter));
  if (filter instanceof RegExp) return scenarios.filter((s) => filter.test(s.id));
  return scenarios.filter(filter);
}

/**
 * Runs one scenario on a fresh target from `factory` and closes the target afterwards. A factory
 * that cannot honour the scenario's request (TargetUnsupportedError) makes it "skipped" with the
 * factory's reason; anything else thrown (by the factory or the scenario) makes it "failed".
 */
export async function runScenario(scenario: Scenario, factory: TargetFactory): Promise<ScenarioResult> {
  const request = scenario.request ?? {};
  let target: Awaited<ReturnType<TargetFactory>>;
  try {
    target = await factory(request);
  } catch (error) {
    const skipped = error instanceof TargetUnsupportedError;
    const message = error instanceof Error ? error.message : String(error);
    return {
      id: scenario.id,
      title: scenario.title,
      target: "-",
      outcome: skipped ? "skipped" : "failed",
      observations: {},
      message: skipped ? message : `the target factory failed: ${message}`,
    };
  }
  const transcript = new Transcript();
  const ctx = new ScenarioContext(target, request, transcript);
  const identity = { id: scenario.id, title: scenario.title, target: target.name };
  try {
    const observations = await scenario.run(ctx);
    return { ...identity, outcome: "passed", observations };
  } catch (error) {
    if (error instanceof ScenarioSkippedError) {
      return { ...identity, outcome: "skipped", observations: ctx.observations, message: error.message };
    }
    const tail = transcript.entries.slice(-TRANSCRIPT_TAIL_LINES);
    return {
      ...identity,
      outcome: "failed",
      observations: ctx.observations,
      message: error instanceof Error ? error.message : String(error),
      transcriptTail: transcript.format(tail).split("\n"),
    };
  } finally {
    await target.close();
  }
}

/** Runs the (filtered) suite, one fresh target per scenario, in suite order. */
export async function runScenarios(
  factory: TargetFactory,
  options: RunScenariosOptions = {},
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const scenario of selectScenarios(options.filter, options.scenarios)) {
    const result = await runScenario(scenario, factory);
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}

export interface ObservationDifference {
  readonly field: string;
  /** undefined when the field is missing on that side. */
  readonly a: ObservationValue | undefined;
  readonly b: ObservationValue | undefined;
}

/**
 * The first field in which two observation records differ (in `a`'s field order, then fields only
 * `b` has), or undefined when they are equal.
 */
export function compareObservations(a: Observations, b: Observations): ObservationDifference | undefined {
  for (const field of Object.keys(a)) {
    if (!Object.hasOwn(b, field)) return { field, a: a[field], b: undefined };
    if (!Object.is(a[field], b[field])) return { field, a: a[field], b: b[field] };
  }
  for (const field of Object.keys(b)) {
    if (!Object.hasOwn(a, field)) return { field, a: undefined, b: b[field] };
  }
  return undefined;
}

export interface RunDifference {
  readonly id: string;
  /** The first differing observation, or the outcome when the outcomes differ. */
  readonly difference: ObservationDifference;
}

/** Compares two runs of the suite (e.g. core vs qemu) scenario by scenario. */
export function compareRuns(a: readonly ScenarioResult[], b: readonly ScenarioResult[]): RunDifference[] {
  const byId = new Map(b.map((r) => [r.id, r]));
  const differences: RunDifference[] = [];
  for (const left of a) {
    const right = byId.get(left.id);
    if (!right) {
      differences.push({ id: left.id, difference: { field: "outcome", a: left.outcome, b: undefined } });
      continue;
    }
    if (left.outcome !== right.outcome) {
      differences.push({ id: left.id, difference: { field: "outcome", a: left.outcome, b: right.outcome } });
      continue;
    }
    const difference = compareObservations(left.observations, right.observations);
    if (difference) differences.push({ id: left.id, difference });
  }
  return differences;
}
