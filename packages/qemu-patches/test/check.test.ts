import { describe, expect, it } from "vitest";
import { check } from "../src/check.js";
import { fakeBuiltCache } from "./fixtures.js";
import { scriptedRunner } from "./helpers.js";

const NVME = "/x86_64/pc/i440FX-pcihost/pci-bus-pc/pci-bus/nvme/nvme-tests";
const isCheckpatch = (command: string) => command === "perl";
const isQosTest = (command: string) => command.endsWith("qos-test");

describe("check", () => {
  it("passes when checkpatch finds no error and both qtest sets pass", async () => {
    const built = fakeBuiltCache();
    const runner = scriptedRunner([
      [isCheckpatch, { stdout: "total: 0 errors, 1 warnings, 10 lines checked" }],
      [isQosTest, { lines: [`ok 1 ${NVME}/reg-read`, `ok 2 ${NVME}/bp-wp`] }],
    ]);
    const result = await check({
      cacheDir: built.cacheDir,
      env: {},
      runner,
      gates: ["checkpatch", "qtests", "stock-qtests"],
    });
    expect(result.ok).toBe(true);
    expect(result.gates.map((gate) => [gate.name, gate.ok])).toEqual([
      ["checkpatch", true],
      ["qtests", true],
      ["stock-qtests", true],
    ]);
    expect(result.gates[0]?.summary).toBe("7 patches: 0 errors, 7 warnings");
  });

  it("fails the gate whose check fails, and only that one", async () => {
    const built = fakeBuiltCache();
    const runner = scriptedRunner([
      [
        isCheckpatch,
        { stdout: "ERROR: code indent should never use tabs\ntotal: 1 errors, 0 warnings, 10 lines" },
      ],
      [isQosTest, { lines: [`ok 1 ${NVME}/reg-read`, `not ok 2 ${NVME}/bp-wp`], exitCode: 1 }],
    ]);
    const result = await check({
      cacheDir: built.cacheDir,
      env: {},
      runner,
      gates: ["checkpatch", "qtests", "stock-qtests"],
    });
    expect(result.ok).toBe(false);
    expect(result.gates.map((gate) => [gate.name, gate.ok])).toEqual([
      ["checkpatch", false],
      ["qtests", false],
      ["stock-qtests", true],
    ]);
    expect(result.gates[0]?.details).toContain("  ERROR: code indent should never use tabs");
    expect(result.gates[1]?.details).toEqual([`not ok ${NVME}/bp-wp`]);
  });

  it("does not count a run without Boot Partition tests as a pass", async () => {
    const built = fakeBuiltCache();
    const runner = scriptedRunner([[isQosTest, { lines: [`ok 1 ${NVME}/reg-read`] }]]);
    const result = await check({ cacheDir: built.cacheDir, env: {}, runner, gates: ["qtests"] });
    expect(result.gates).toHaveLength(1);
    expect(result.gates[0]).toMatchObject({ name: "qtests", ok: false });
  });
});
