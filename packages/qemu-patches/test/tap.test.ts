import { describe, expect, it } from "vitest";
import { parseTap, parseTapLine, summarizeTap } from "../src/tap.js";

describe("parseTapLine", () => {
  it("reads ok and not ok lines with their number and name", () => {
    expect(parseTapLine("ok 7 /x86_64/pc/nvme/nvme-tests/bp-log")).toEqual({
      ok: true,
      number: 7,
      name: "/x86_64/pc/nvme/nvme-tests/bp-log",
    });
    expect(parseTapLine("not ok 3 - /a/b")).toEqual({ ok: false, number: 3, name: "/a/b" });
  });

  it("marks SKIP and TODO directives", () => {
    expect(parseTapLine("ok 2 /a # SKIP needs the pc machine")?.skip).toBe("SKIP needs the pc machine");
    expect(parseTapLine("not ok 4 /b # TODO later")?.skip).toBe("TODO later");
  });

  it("ignores comments, plans and other output", () => {
    for (const line of ["# Start of nvme tests", "1..15", "", "okay then", "Bail out! x"]) {
      expect(parseTapLine(line)).toBeUndefined();
    }
  });
});

describe("parseTap", () => {
  it("counts passed, failed and skipped tests and keeps the plan and a bail out", () => {
    const summary = parseTap(
      [
        "1..4",
        "ok 1 /a",
        "not ok 2 /b",
        "ok 3 /c # SKIP no pc",
        "Bail out! assertion failed",
        "ok 4 /d",
      ].join("\n"),
    );
    expect(summary).toMatchObject({
      passed: 2,
      failed: 1,
      skipped: 1,
      planned: 4,
      bailOut: "assertion failed",
    });
  });

  it("reports zero tests for output without test lines", () => {
    expect(summarizeTap([])).toEqual({ tests: [], passed: 0, failed: 0, skipped: 0 });
  });
});
