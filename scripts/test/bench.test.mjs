// `pnpm bench` (scripts/bench.mjs): one table of every issue-13 row, each next to its limit.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { normalise, table } from "../bench.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

describe("pnpm bench (scripts/bench.mjs)", () => {
  it("judges a qtest row (goal as a ratio) and a controller row (goal as text) against their limits", () => {
    const qemu = normalise(
      {
        workload: "QEMU read",
        value: 10,
        unit: "MiB/s",
        limit: 50,
        limitName: "in-process read",
        goal: 0.25,
      },
      "qemu",
    );
    expect(qemu).toMatchObject({ section: "qemu", ratio: 0.2, goal: ">= 25%", met: false });
    const core = normalise(
      {
        section: "core",
        workload: "log 15h",
        value: 60,
        unit: "MiB/s",
        limit: 100,
        goal: ">= 50%",
        met: true,
      },
      "controller",
    );
    expect(core).toMatchObject({ section: "core", ratio: 0.6, met: true });
    const lines = table([
      qemu,
      core,
      normalise({ workload: "round trips", value: 5388, unit: "1/s", goal: "report" }, "qemu"),
    ]).split("\n");
    expect(lines[2]).toBe(
      "| qemu | QEMU read | 10.0 MiB/s | 50.0 MiB/s (in-process read) | 20.0% | >= 25% | MISSED |",
    );
    expect(lines[3]).toContain("| 60.0% | >= 50% | met |");
    expect(lines[4]).toBe("| qemu | round trips | 5,388 1/s | — | — | report | report |");
  });

  it("runs a package's bench and writes bench-results/bench.json with the load average and the run", () => {
    const child = spawnSync(process.execPath, ["scripts/bench.mjs", "--only", "nvme-spec", "--json"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(child.status).toBe(0);
    const printed = JSON.parse(child.stdout.trim().split("\n").at(-1));
    const written = JSON.parse(readFileSync(join(root, "bench-results", "bench.json"), "utf8"));
    expect(written).toEqual(printed);
    expect(printed.runs).toEqual([{ name: "nvme-spec", status: 0, seconds: expect.any(Number) }]);
    expect(printed.loadAverage.before).toHaveLength(3);
    expect(printed.otherReports.map((report) => report.package)).toContain("nvme-spec");
  });
});
