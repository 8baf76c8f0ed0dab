// How a pair of scenario results is judged and printed (no QEMU needed): the same rules decide the
// conformance test and the exit code of `bplab scenario --target all`.
import type { Scenario, ScenarioResult } from "@bplab/host";
import { describe, expect, it } from "vitest";
import {
  describeConformance,
  formatConformanceMatrix,
  isGoodVerdict,
  judgeConformance,
  summarizeConformance,
} from "../src/conformance.js";

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

describe("judgeConformance", () => {
  it("calls two passes with the same observations identical", () => {
    const observations = { abpid: 1, status: "0h/00h" };
    const row = judgeConformance(
      plain,
      result("core", "passed", { observations }),
      result("qemu", "passed", { observations: { ...observations } }),
    );
    expect(row).toMatchObject({ label: "abpid.switch", verdict: "identical" });
    expect(row.difference).toBeUndefined();
  });

  it("reports the first differing observation with both values", () => {
    const row = judgeConformance(
      plain,
      result("core", "passed", { observations: { bpsz: 1, lpa: "0x07", abpid: 1 } }),
      result("qemu", "passed", { observations: { bpsz: 1, lpa: "0x26", abpid: 0 } }),
    );
    expect(row.verdict).toBe("mismatch");
    expect(row.difference).toEqual({ field: "lpa", a: "0x07", b: "0x26" });
    expect(describeConformance(row)).toBe("lpa: core 0x07, qemu 0x26");
  });

  it("names a field only one side observed as absent on the other", () => {
    const row = judgeConformance(
      plain,
      result("core", "passed", { observations: { brs: "01b" } }),
      result("qemu", "passed", { observations: {} }),
    );
    expect(describeConformance(row)).toBe("brs: core 01b, qemu (absent)");
  });

  it("treats a QEMU skip of a non-RPMB scenario as a mismatch and says why QEMU skipped", () => {
    const row = judgeConformance(
      plain,
      result("core", "passed"),
      result("qemu", "skipped", { message: "finished the read before BRS=01b\nmore" }),
    );
    expect(row.verdict).toBe("mismatch");
    expect(describeConformance(row)).toBe(
      "outcome: core passed, qemu skipped (qemu: finished the read before BRS=01b)",
    );
    expect(isGoodVerdict(row.verdict)).toBe(false);
  });

  it("accepts a QEMU skip only for an RPMB scenario (MC-34), as core-only", () => {
    const skipped = result("qemu", "skipped", { message: "no RPMB (MC-34)" });
    const row = judgeConformance(rpmb, result("core", "passed"), skipped);
    expect(row.verdict).toBe("core-only");
    expect(isGoodVerdict(row.verdict)).toBe(true);
    // The exception needs the core to pass: an RPMB scenario failing on the core is a failure.
    const broken = judgeConformance(rpmb, result("core", "failed", { message: "boom" }), skipped);
    expect(broken.verdict).toBe("mismatch");
  });

  it("calls both sides failing alike a failure, not a match", () => {
    const row = judgeConformance(
      plain,
      result("core", "failed", { message: "abpid: expected 1, got 0" }),
      result("qemu", "failed", { message: "abpid: expected 1, got 0" }),
    );
    expect(row.verdict).toBe("failed");
    expect(describeConformance(row)).toBe(
      "core failed: abpid: expected 1, got 0; qemu failed: abpid: expected 1, got 0",
    );
  });

  it("without a QEMU run, a passing core is not compared and a failing core still fails", () => {
    expect(judgeConformance(plain, result("core", "passed"), undefined).verdict).toBe("not-compared");
    expect(judgeConformance(plain, result("core", "failed"), undefined).verdict).toBe("failed");
  });
});

describe("the matrix", () => {
  it("prints one aligned line per row, unavailable for a QEMU that did not run, and a summary", () => {
    const rows = [
      judgeConformance(plain, result("core", "passed"), result("qemu", "passed")),
      judgeConformance(rpmb, result("core", "passed"), result("qemu", "skipped", { message: "MC-34" })),
      judgeConformance(
        plain,
        result("core", "passed"),
        result("qemu", "failed", { message: "no" }),
        "x [restart]",
      ),
      judgeConformance(plain, result("core", "passed"), undefined),
    ];
    const lines = formatConformanceMatrix(rows).split("\n");
    expect(lines).toEqual([
      "scenario           core         qemu         verdict",
      "abpid.switch       passed       passed       identical",
      "locks.commit-rpmb  passed       skipped      core-only  qemu skipped: MC-34",
      "x [restart]        passed       failed       MISMATCH  outcome: core passed, qemu failed (qemu: no)",
      "abpid.switch       passed       unavailable  not-compared",
      "core vs qemu: 1 identical, 1 core-only (MC-34), 1 mismatched, 0 failed, 1 not compared (qemu unavailable)",
    ]);
    expect(summarizeConformance(rows).ok).toBe(false);
    expect(summarizeConformance(rows.filter((row) => row.verdict !== "mismatch")).ok).toBe(true);
  });
});
