import { describe, expect, it } from "vitest";
import type { CheckResult } from "../src/check.js";
import type { QtestResult } from "../src/qtests.js";
import { formatCheck, formatQtests, qtestsPassed } from "../src/report.js";

const counts = (passed: number, failed: number) => ({ passed, failed, skipped: 0 });

function qtests(tests: QtestResult["tests"], failed: number): QtestResult {
  return {
    tests,
    passed: tests.length - failed,
    failed,
    skipped: 0,
    bootPartition: counts(tests.length - failed - 1, failed),
    stock: counts(1, 0),
    exitCode: failed ? 1 : 0,
    command: "qos-test",
    durationMs: 2500,
    outputTail: "",
  };
}

describe("reports", () => {
  it("lists every qtest and the Boot Partition and stock counts", () => {
    const result = qtests(
      [
        { ok: true, number: 1, name: "/nvme/reg-read" },
        { ok: false, number: 2, name: "/nvme/bp-wp" },
      ],
      1,
    );
    expect(formatQtests(result).split("\n")).toEqual([
      "ok /nvme/reg-read",
      "not ok /nvme/bp-wp",
      "Boot Partition: 0 passed, 1 failed",
      "stock nvme:     1 passed, 0 failed",
      "1 passed, 1 failed, 0 skipped (2s)",
    ]);
    expect(qtestsPassed(result)).toBe(false);
    expect(qtestsPassed(qtests([], 0))).toBe(false);
  });

  it("shows the details of failed gates only", () => {
    const result: CheckResult = {
      ok: false,
      key: "k",
      gates: [
        { name: "checkpatch", ok: true, summary: "7 patches", details: ["hidden"], durationMs: 1000 },
        {
          name: "bisect",
          ok: false,
          summary: "patch 3 breaks",
          details: ["ctrl.c: error"],
          durationMs: 61_000,
        },
        { name: "qtests", ok: true, summary: "12 passed", details: [], durationMs: 0, cached: true },
      ],
    };
    expect(formatCheck(result)).toBe(
      "PASS checkpatch: 7 patches (1s)\nFAIL bisect: patch 3 breaks (1m01s)\n     ctrl.c: error\nPASS qtests: 12 passed",
    );
  });
});
