import type { TargetRequest } from "../target.js";
import type { ScenarioContext } from "./context.js";

/** One observed value: a status "sct/sc", a hex register value, a sha256, a lock state name, … */
export type ObservationValue = string | number | boolean | null;

/** A flat, JSON-able record, so two targets can be compared field by field. */
export type Observations = Record<string, ObservationValue>;

export interface Scenario {
  /** Stable id, "<group>.<name>", used by filters and by cross-target comparisons. */
  readonly id: string;
  readonly title: string;
  /** What the scenario needs from its target (BP size, RPMB mode). */
  readonly request?: TargetRequest;
  /** Asserts the spec expectations itself (ScenarioAssertionError) and returns what it observed. */
  run(ctx: ScenarioContext): Promise<Observations>;
}

export type ScenarioOutcome = "passed" | "failed" | "skipped";

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly target: string;
  readonly outcome: ScenarioOutcome;
  /** Everything observed up to the end (or up to the failure). */
  readonly observations: Observations;
  /** Why it failed (the assertion naming field, expected and actual) or why it was skipped. */
  readonly message?: string;
  /** The last transcript lines, for a failure. */
  readonly transcriptTail?: readonly string[];
}
