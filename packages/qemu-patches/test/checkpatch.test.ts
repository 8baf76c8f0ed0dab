import { describe, expect, it } from "vitest";
import { checkpatchSeries, parseCheckpatchFindings, parseCheckpatchTotals } from "../src/checkpatch.js";
import type { Series } from "../src/series.js";
import { scriptedRunner } from "./helpers.js";

const series: Series = {
  dir: "/p",
  patches: [
    { name: "0001-a.patch", path: "/p/0001-a.patch", contents: "", subject: "a" },
    { name: "0002-b.patch", path: "/p/0002-b.patch", contents: "", subject: "b" },
  ],
};

describe("checkpatch output", () => {
  it("reads the totals line and the findings", () => {
    const output =
      "WARNING: line over 80 characters\n#9: FILE: x.c:1:\n\ntotal: 1 errors, 2 warnings, 30 lines checked\n";
    expect(parseCheckpatchTotals(output)).toEqual({ errors: 1, warnings: 2 });
    expect(parseCheckpatchFindings(`ERROR: trailing whitespace\n${output}`)).toEqual([
      "ERROR: trailing whitespace",
      "WARNING: line over 80 characters",
    ]);
    expect(parseCheckpatchTotals("perl: syntax error")).toBeUndefined();
  });
});

describe("checkpatchSeries", () => {
  it("runs the tree's script on every patch and counts a crashed run as an error", async () => {
    const runner = scriptedRunner([
      [
        (_command, args) => args.includes("/p/0001-a.patch"),
        { stdout: "total: 0 errors, 0 warnings, 9 lines checked" },
      ],
      [(_command, args) => args.includes("/p/0002-b.patch"), { exitCode: 2, lines: ["Can't locate x.pm"] }],
    ]);
    const reports = await checkpatchSeries("/src", series, runner);
    expect(runner.calls[0]?.args).toEqual(["/src/scripts/checkpatch.pl", "--no-color", "/p/0001-a.patch"]);
    expect(reports.map((report) => [report.patch, report.errors])).toEqual([
      ["0001-a.patch", 0],
      ["0002-b.patch", 1],
    ]);
    expect(reports[1]?.findings[0]).toContain("Can't locate x.pm");
  });
});
