import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { bplab } from "./cli-support.js";

describe("bplab: bad arguments exit 2 with a message naming the option and the rule", () => {
  it.each([
    [["demo", "--bpsz", "100K"], /--bpsz: must be a positive multiple of 128K/],
    [["demo", "--bpsz", "1X"], /--bpsz: must be a size like 4096, 128K/],
    [["demo", "--frobnicate"], /unknown option '--frobnicate'/],
    [["bp", "write", "--state", "/nowhere", "--bp", "2", "--file", "x"], /--bp: must be 0 or 1/],
    [["bp", "read", "--bp", "0", "--out", "x"], /required option '--state <dir>' not specified/],
    [
      ["bp", "lock", "--state", "/nowhere", "--bp", "0", "--set", "open"],
      /--set: must be one of unlocked, locked, until-power-cycle/,
    ],
    [["bp", "init", "--state", "/nowhere/x", "--bpsz", "8G"], /bpSizeBytes must be at most 4294836224/],
    [["scenario", "--target", "fpga"], /--target: must be one of core, qemu, vfio-user, all, got "fpga"/],
    [["qemu", "flash"], /<subcommand>: must be one of fetch, apply, build, test, check, path/],
    [["teleport"], /unknown command 'teleport'/],
    [[], /Usage: bplab/],
  ])("bplab %j", async (args, message) => {
    const run = await bplab(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  });

  it("exits 0 for --help", async () => {
    const run = await bplab("bp", "write", "--help");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--chunk <size>/);
  });

  it("keeps the exit code through the real executable", () => {
    const bin = fileURLToPath(new URL("../src/bin.ts", import.meta.url));
    const result = spawnSync(process.execPath, ["--import", "tsx", bin, "demo", "--bpsz", "3K"], {
      encoding: "utf8",
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--bpsz: must be a positive multiple of 128K/);
  });
});
