// Conformance: the whole @bplab/host scenario suite on the in-process core and on the patched QEMU
// device. Every scenario must pass on both with identical observations: a difference is a bug in one
// of them, fixed on that side against docs/spec/boot-partitions.md and docs/model-choices.md, never
// pinned here. The one allowed exception is RPMB-controlled protection, a core-only mode (MC-34):
// QEMU skips those scenarios and the test prints why.
import { ALL_SCENARIOS, type Scenario, type TargetFactory } from "@bplab/host";
import { inProcessTargetFactory } from "@bplab/in-process-target";
import { afterAll, describe, type ExpectStatic, expect, it } from "vitest";
import { liveProcessCount, qemuChildProcesses } from "../src/cleanup.js";
import {
  type ConformanceRow,
  compareScenario,
  describeConformance,
  formatConformanceMatrix,
  isCoreOnlyScenario,
} from "../src/conformance.js";
import { createQemuTargetFactory } from "../src/factory.js";
import { qemuHasBootPartitions } from "./helpers/qemu.js";

const core = inProcessTargetFactory();
/** MC-42: the QEMU power cycle is a new QEMU process on the same images. */
const qemu = createQemuTargetFactory();
const rows: ConformanceRow[] = [];

async function compare(
  scenario: Scenario,
  qemu: TargetFactory,
  label: string,
  expect: ExpectStatic,
): Promise<ConformanceRow> {
  const row = await compareScenario(scenario, { core, qemu }, label);
  rows.push(row);
  expect({ outcome: row.core.outcome, message: row.core.message }, `${label} on the core`).toEqual({
    outcome: "passed",
    message: undefined,
  });
  return row;
}

describe.skipIf(!qemuHasBootPartitions)("scenario suite: core vs patched QEMU", () => {
  afterAll(() => {
    // Scenarios finish in any order (they run concurrently): print them in the suite's order.
    const order = new Map(ALL_SCENARIOS.map((scenario, index) => [scenario.id, index]));
    rows.sort((a, b) => (order.get(a.label) ?? 0) - (order.get(b.label) ?? 0));
    console.info(`[qtest] conformance matrix (scenario x target):\n${formatConformanceMatrix(rows)}`);
  });

  it("covers RPMB-only scenarios the core-only way and every other scenario on both targets", () => {
    // The suite has RPMB scenarios (MC-34); if none were marked, the exception below would be unused
    // and a QEMU skip of any other scenario could hide behind it.
    expect(ALL_SCENARIOS.filter(isCoreOnlyScenario).length).toBeGreaterThan(0);
    expect(ALL_SCENARIOS.filter((scenario) => !isCoreOnlyScenario(scenario)).length).toBeGreaterThan(0);
  });

  // Each scenario starts its own fresh targets (a new QEMU, a new core), so scenarios are
  // independent and run a few at a time (vitest's maxConcurrency): most of a scenario's wall time
  // is waiting for its QEMU to start and answer, which the others' waits can overlap.
  it.concurrent.for(ALL_SCENARIOS.map((scenario) => [scenario.id, scenario] as const))(
    "%s",
    async ([id, scenario], { expect }) => {
      const row = await compare(scenario, qemu, id, expect);
      if (isCoreOnlyScenario(scenario)) {
        // The only allowed skip: QEMU has no RPMB-controlled protection. Print the reason it gave.
        console.info(`[qtest] ${id}: skipped on QEMU: ${row.qemu?.message ?? "(no reason given)"}`);
        expect(row.verdict, describeConformance(row)).toBe("core-only");
        expect(row.qemu?.message).toMatch(/MC-34/);
        return;
      }
      expect(row.verdict, describeConformance(row)).toBe("identical");
    },
  );

  it("leaves no QEMU process behind once every scenario has closed its target", () => {
    expect(rows.length).toBeGreaterThan(0);
    expect(liveProcessCount()).toBe(0);
    expect(qemuChildProcesses()).toEqual([]);
  });
});
