import { CodedError } from "@bplab/node-kit";
import type { ObservationValue } from "./observations.js";

export type ScenarioErrorCode = "SCENARIO_ASSERTION" | "SCENARIO_SKIPPED" | "DUPLICATE_OBSERVATION";

export class ScenarioError extends CodedError<ScenarioErrorCode> {}

/** A spec expectation did not hold: names the observation field, what the spec wants and what came. */
export class ScenarioAssertionError extends ScenarioError {
  readonly field: string;
  readonly expected: ObservationValue;
  readonly actual: ObservationValue;

  constructor(field: string, expected: ObservationValue, actual: ObservationValue, why?: string) {
    super(
      "SCENARIO_ASSERTION",
      `${field}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}${why ? ` (${why})` : ""}`,
    );
    this.field = field;
    this.expected = expected;
    this.actual = actual;
  }
}

/** The scenario cannot observe what it is about on this target; the runner reports it as skipped. */
export class ScenarioSkippedError extends ScenarioError {
  constructor(reason: string) {
    super("SCENARIO_SKIPPED", reason);
  }
}
