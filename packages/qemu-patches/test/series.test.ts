import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SeriesError } from "../src/errors.js";
import { defaultPatchesDir } from "../src/paths.js";
import { SERIES_AUTHOR } from "../src/pins.js";
import { buildKey, loadSeries, parseSeriesFile, patchSubject } from "../src/series.js";
import { tempDir } from "./helpers.js";

const PATCH =
  "From 1 Mon Sep 17 00:00:00 2001\nSubject: [PATCH 1/1] hw/nvme: a\n b\n\nwhy\n---\ndiff --git a/x b/x\n";

describe("parsing", () => {
  it("reads the series file, skipping comments and blank lines", () => {
    expect(parseSeriesFile("# header\n0001-a.patch\n\n0002-b.patch  # note\n")).toEqual([
      "0001-a.patch",
      "0002-b.patch",
    ]);
  });

  it("unfolds the subject and drops the [PATCH n/m] tag", () => {
    expect(patchSubject(PATCH)).toBe("hw/nvme: a b");
  });
});

describe("loadSeries", () => {
  it("names the problem when the series is not usable", () => {
    const dir = tempDir();
    expect(() => loadSeries(dir)).toThrow(SeriesError);
    writeFileSync(join(dir, "series"), "0001-a.patch\n");
    expect(() => loadSeries(dir)).toThrow('"0001-a.patch" does not exist');
    writeFileSync(join(dir, "0001-a.patch"), "Subject: no diff here\n");
    expect(() => loadSeries(dir)).toThrow("contains no diff");
    writeFileSync(join(dir, "series"), "../escape.patch\n");
    expect(() => loadSeries(dir)).toThrow("must be a .patch file name in the same directory");
  });
});

describe("buildKey", () => {
  it("is stable for the same inputs and changes with the source or any patch", () => {
    const patches = [{ contents: "a" }, { contents: "b" }];
    const key = buildKey("source", patches);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(buildKey("source", [{ contents: "a" }, { contents: "b" }])).toBe(key);
    expect(buildKey("other", patches)).not.toBe(key);
    expect(buildKey("source", [{ contents: "a" }, { contents: "c" }])).not.toBe(key);
    expect(buildKey("source", [{ contents: "b" }, { contents: "a" }])).not.toBe(key);
  });
});

describe("the series in patches/", () => {
  const series = loadSeries(defaultPatchesDir());

  it("has one logical step per patch, in order", () => {
    expect(series.patches.map((patch) => patch.subject)).toEqual([
      "hw/nvme: add Boot Partition definitions",
      "hw/nvme: add the bootpart property and the Boot Partition read path",
      "hw/nvme: add the Supported Log Pages log page",
      "hw/nvme: add the Boot Partition log page",
      "hw/nvme: write Boot Partitions with Firmware Image Download and Commit",
      "hw/nvme: add Boot Partition write protection",
      "tests/qtest/libqos: add an NVMe admin queue helper",
      "tests/qtest/nvme-test: test Boot Partition reads",
      "tests/qtest/nvme-test: test the Supported Log Pages and Boot Partition logs",
      "tests/qtest/nvme-test: test Boot Partition updates",
      "tests/qtest/nvme-test: test Boot Partition write protection and power cycles",
      "docs/system/devices/nvme: document Boot Partitions",
    ]);
  });

  it.each(series.patches.map((patch) => [patch.name, patch] as const))(
    "%s has the series author, a sign-off and a body that says why",
    (_name, patch) => {
      expect(patch.contents).toContain(`\nFrom: ${SERIES_AUTHOR}\n`);
      expect(patch.contents).toContain(`\nSigned-off-by: ${SERIES_AUTHOR}\n`);
      const body = patch.contents.split(/\n\n/, 2)[1]?.split("\nSigned-off-by:")[0] ?? "";
      expect(body.trim().length).toBeGreaterThan(100);
    },
  );

  it("has a cover letter that explains the use case, the migration decision and the ABPID storage", () => {
    const cover = readFileSync(series.coverLetter ?? "", "utf8");
    expect(cover).toContain(
      "Subject: [PATCH 00/12] hw/nvme: Boot Partitions and Boot Partition write protection",
    );
    expect(cover).toContain("UEFI recovery code");
    expect(cover).toContain(".unmigratable = 1");
    expect(cover).toContain("4 KiB\n   metadata block");
    expect(cover).not.toContain("*** ");
  });
});
