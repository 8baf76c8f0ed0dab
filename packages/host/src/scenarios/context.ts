import { createHash } from "node:crypto";
import { formatStatus, type StatusCode } from "@bplab/nvme-spec";
import { NvmeHostDriver } from "../driver/nvme-host-driver.js";
import type { Transcript } from "../driver/transcript.js";
import { type Target, type TargetRequest, targetCapabilities } from "../target.js";
import { ScenarioAssertionError, ScenarioError, ScenarioSkippedError } from "./errors.js";
import type { Observations, ObservationValue } from "./observations.js";

/**
 * Read buffers are filled with this byte before every device-to-host command, so a device that
 * skips bytes it should have written (zeros past the end of a log, MC-51) cannot pass unnoticed.
 */
export const SCENARIO_POISON_BYTE = 0xa5;

/** sha256 of some bytes, hex: how scenarios observe log bytes and BP contents. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * What a scenario works with: its target, a lazily attached driver, and an observation record in
 * which every `expect` both records the actual value and checks it against the spec.
 */
export class ScenarioContext {
  readonly observations: Observations = {};
  private attached?: NvmeHostDriver;

  constructor(
    readonly target: Target,
    readonly request: TargetRequest,
    readonly transcript: Transcript,
  ) {}

  /** The host driver, attached on first use (CC.EN=0 until then). */
  async driver(): Promise<NvmeHostDriver> {
    if (!this.attached) {
      this.attached = await NvmeHostDriver.attach(this.target, {
        transcript: this.transcript,
        poisonReadBuffersWith: SCENARIO_POISON_BYTE,
      });
    }
    return this.attached;
  }

  /** Records an observation; each field is recorded once, so a typo cannot overwrite another. */
  record(field: string, value: ObservationValue): void {
    if (Object.hasOwn(this.observations, field)) {
      throw new ScenarioError("DUPLICATE_OBSERVATION", `observation ${field} was recorded twice`);
    }
    this.observations[field] = value;
  }

  /** Records `actual` under `field` and fails the scenario when it is not `expected`. */
  expect(field: string, actual: ObservationValue, expected: ObservationValue, why?: string): void {
    this.record(field, actual);
    if (actual !== expected) throw new ScenarioAssertionError(field, expected, actual, why);
  }

  /** Like expect, for a command outcome's status ("1h/1Eh"). */
  expectStatus(field: string, outcome: { status: string }, expected: StatusCode, why?: string): void {
    this.expect(field, outcome.status, formatStatus(expected), why);
  }

  /** Ends the scenario as skipped: what it is about cannot be observed on this target. */
  skip(reason: string): never {
    throw new ScenarioSkippedError(reason);
  }

  /** A power cycle of the target, then the driver brought up again (if one was attached). */
  async powerCycle(): Promise<void> {
    this.transcript.note("power cycle");
    await this.target.powerCycle();
    await this.attached?.reattach({ reallocate: targetCapabilities(this.target).restartProcess });
  }

  /** A function-level reset of the target (FLR / DEVICE_RESET), then the driver brought up again. */
  async functionReset(): Promise<void> {
    this.transcript.note("function reset");
    await this.target.functionReset();
    await this.attached?.reattach();
  }
}
