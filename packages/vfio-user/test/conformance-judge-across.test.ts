// How one scenario is judged over core | qemu | vfio-user (no QEMU needed): the core against each
// other target, the worst verdict wins and names the target; a one-column row stays as it was.
import type { Scenario, ScenarioResult } from "@bplab/host";
import {
  describeConformance,
  formatConformanceMatrix,
  judgeConformance,
  judgeConformanceAcross,
} from "@bplab/qtest";
import { describe, expect, it } from "vitest";

const plain: Scenario = { id: "abpid.switch", title: "switch", run: async () => ({}) };
const rpmb: Scenario = {
  id: "locks.commit-rpmb",
  title: "rpmb",
  request: { rpmb: { locked: [true, true] } },
  run: async () => ({}),
};

function result(target: string, outcome: ScenarioResult["outcome"], extra: Partial<ScenarioResult> = {}) {
  return { id: "x", title: "x", target, outcome, observations: {}, ...extra } satisfies ScenarioResult;
}
const observed = (target: string, abpid: number) => result(target, "passed", { observations: { abpid } });

describe("judgeConformanceAcross", () => {
  it("is identical only when every target matches the core", () => {
    const row = judgeConformanceAcross(plain, observed("core", 1), {
      qemu: observed("qemu", 1),
      "vfio-user": observed("vfio-user", 1),
    });
    expect(row.verdict).toBe("identical");
    const off = judgeConformanceAcross(plain, observed("core", 1), {
      qemu: observed("qemu", 1),
      "vfio-user": observed("vfio-user", 0),
    });
    expect(off).toMatchObject({ verdict: "mismatch", side: "vfio-user" });
    expect(describeConformance(off)).toBe("abpid: core 1, vfio-user 0");
  });

  it("keeps RPMB core-only when both QEMU targets skip it (MC-34) and says why each skipped", () => {
    const row = judgeConformanceAcross(rpmb, result("core", "passed"), {
      qemu: result("qemu", "skipped", { message: "no RPMB (MC-34)" }),
      "vfio-user": result("vfio-user", "skipped", { message: "no RPMB either (MC-34)" }),
    });
    expect(row.verdict).toBe("core-only");
    expect(describeConformance(row)).toBe(
      "qemu skipped: no RPMB (MC-34); vfio-user skipped: no RPMB either (MC-34)",
    );
  });

  it("compares what ran when one target is unavailable, and compares nothing when none ran", () => {
    const partly = judgeConformanceAcross(plain, observed("core", 1), {
      qemu: undefined,
      "vfio-user": observed("vfio-user", 1),
    });
    expect(partly.verdict).toBe("identical");
    const none = judgeConformanceAcross(plain, observed("core", 1), {
      qemu: undefined,
      "vfio-user": undefined,
    });
    expect(none.verdict).toBe("not-compared");
  });

  it("with only qemu, gives judgeConformance's verdict and text", () => {
    const core = observed("core", 1);
    const qemu = observed("qemu", 0);
    const across = judgeConformanceAcross(plain, core, { qemu });
    const pair = judgeConformance(plain, core, qemu);
    expect(across.verdict).toBe(pair.verdict);
    expect(describeConformance(across)).toBe(describeConformance(pair));
  });

  it("prints a core | qemu | vfio-user matrix naming the unavailable target in the summary", () => {
    const rows = [
      judgeConformanceAcross(plain, observed("core", 1), {
        qemu: undefined,
        "vfio-user": observed("vfio-user", 1),
      }),
      judgeConformanceAcross(plain, observed("core", 1), { qemu: undefined, "vfio-user": undefined }),
    ];
    expect(formatConformanceMatrix(rows).split("\n")).toEqual([
      "scenario      core         qemu         vfio-user    verdict",
      "abpid.switch  passed       unavailable  passed       identical",
      "abpid.switch  passed       unavailable  unavailable  not-compared",
      "core vs qemu vs vfio-user: 1 identical, 0 core-only (MC-34), 0 mismatched, 0 failed, 1 not compared (qemu unavailable)",
    ]);
  });
});
