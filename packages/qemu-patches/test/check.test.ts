import { describe, expect, it } from "vitest";
import { check, type GateName } from "../src/check.js";
import { defaultPatchesDir } from "../src/paths.js";
import { loadSeries } from "../src/series.js";
import { fakeBuiltCache } from "./fixtures.js";
import { type ScriptedReply, scriptedRunner } from "./helpers.js";

const NVME = "/x86_64/pc/i440FX-pcihost/pci-bus-pc/pci-bus/nvme/nvme-tests";
const WITHOUT_BISECT: GateName[] = ["checkpatch", "qtests", "stock-qtests"];

/** check() on a cached build, with checkpatch and qos-test answering as given. */
async function checkWith(checkpatch: ScriptedReply, qosTest: ScriptedReply, gates = WITHOUT_BISECT) {
  const built = fakeBuiltCache();
  const runner = scriptedRunner([
    [(command) => command === "perl", checkpatch],
    [(command) => command.endsWith("qos-test"), qosTest],
  ]);
  const result = await check({ cacheDir: built.cacheDir, env: {}, runner, gates });
  return { result, verdicts: result.gates.map((gate) => [gate.name, gate.ok]) };
}

describe("check", () => {
  it("passes when checkpatch finds no error and both qtest sets pass", async () => {
    const { result, verdicts } = await checkWith(
      { stdout: "total: 0 errors, 1 warnings, 10 lines checked" },
      { lines: [`ok 1 ${NVME}/reg-read`, `ok 2 ${NVME}/bp-wp`] },
    );
    expect(result.ok).toBe(true);
    expect(verdicts).toEqual([
      ["checkpatch", true],
      ["qtests", true],
      ["stock-qtests", true],
    ]);
    // one warning per patch of the real series, as the scripted checkpatch reports
    const count = loadSeries(defaultPatchesDir()).patches.length;
    expect(result.gates[0]?.summary).toBe(`${count} patches: 0 errors, ${count} warnings`);
  });

  it("fails the gate whose check fails, and only that one", async () => {
    const { result, verdicts } = await checkWith(
      { stdout: "ERROR: code indent should never use tabs\ntotal: 1 errors, 0 warnings, 10 lines" },
      { lines: [`ok 1 ${NVME}/reg-read`, `not ok 2 ${NVME}/bp-wp`], exitCode: 1 },
    );
    expect(result.ok).toBe(false);
    expect(verdicts).toEqual([
      ["checkpatch", false],
      ["qtests", false],
      ["stock-qtests", true],
    ]);
    expect(result.gates[0]?.details).toContain("  ERROR: code indent should never use tabs");
    expect(result.gates[1]?.details).toEqual([`not ok ${NVME}/bp-wp`]);
  });

  it("does not count a run without Boot Partition tests as a pass", async () => {
    const { verdicts } = await checkWith({}, { lines: [`ok 1 ${NVME}/reg-read`] }, ["qtests"]);
    expect(verdicts).toEqual([["qtests", false]]);
  });
});
