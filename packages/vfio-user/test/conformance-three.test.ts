// Conformance over three targets: the whole @bplab/host scenario suite on the in-process core, on
// the patched QEMU `nvme` device and on stock QEMU's `vfio-user-pci` backed by this package's
// server, each driven by the same host driver (qtest for both QEMU targets). Every scenario must
// pass everywhere with identical observations; a difference is a bug on one side. The one allowed
// exception is RPMB-controlled protection (MC-34): both QEMU targets skip it, the row is core-only.
import { ALL_SCENARIOS, runScenario, type ScenarioResult } from "@bplab/host";
import { inProcessTargetFactory } from "@bplab/in-process-target";
import {
  type ConformanceRow,
  createQemuTargetFactory,
  describeConformance,
  findPatchedQemu,
  formatConformanceMatrix,
  isCoreOnlyScenario,
  judgeConformanceAcross,
  liveProcessCount,
  qemuChildProcesses,
} from "@bplab/qtest";
import { afterAll, describe, expect, it } from "vitest";
import { createVfioUserTargetFactory } from "../src/target.js";
import { qemuSkipReason } from "./helpers/qemu.js";

/** The patched QEMU (the qemu column), or why that column is not compared here. */
const patchedSkipReason: string | undefined = await findPatchedQemu().then(
  () => undefined,
  (error: Error) => error.message,
);
if (qemuSkipReason === undefined && patchedSkipReason !== undefined)
  console.warn(`[vfio-user] three-target conformance runs core vs vfio-user only: ${patchedSkipReason}`);

const core = inProcessTargetFactory();
const qemu = createQemuTargetFactory();
const vfioUser = createVfioUserTargetFactory();
const rows: ConformanceRow[] = [];

describe.skipIf(qemuSkipReason !== undefined)("scenario suite: core vs qemu vs vfio-user", () => {
  afterAll(() => {
    console.info(`[vfio-user] conformance matrix (scenario x target):\n${formatConformanceMatrix(rows)}`);
  });

  it.each(ALL_SCENARIOS.map((scenario) => [scenario.id, scenario] as const))("%s", async (id, scenario) => {
    const others: Record<string, ScenarioResult | undefined> = {};
    const onCore = await runScenario(scenario, core);
    others.qemu = patchedSkipReason === undefined ? await runScenario(scenario, qemu) : undefined;
    others["vfio-user"] = await runScenario(scenario, vfioUser);
    const row = judgeConformanceAcross(scenario, onCore, others);
    rows.push(row);
    expect({ outcome: onCore.outcome, message: onCore.message }, `${id} on the core`).toEqual({
      outcome: "passed",
      message: undefined,
    });
    if (isCoreOnlyScenario(scenario)) {
      expect(row.verdict, describeConformance(row)).toBe("core-only");
      return;
    }
    expect(row.verdict, describeConformance(row)).toBe("identical");
  });

  it("leaves no QEMU process behind once every scenario has closed its targets", () => {
    expect(rows.length).toBe(ALL_SCENARIOS.length);
    expect(liveProcessCount()).toBe(0);
    expect(qemuChildProcesses()).toEqual([]);
  });
});
