import type { TargetRequest } from "../target.js";
import type { ScenarioContext } from "./context.js";
import type { Observations } from "./observations.js";

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
