/**
 * Against the real patched QEMU in the cache (built by `bplab-qemu build` or by the test suite's
 * prepare step). Without a build the tests are skipped, and the reason is printed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { qemuBinaryPath } from "../src/build.js";
import { packageDir } from "../src/paths.js";
import { BUILD_COMMAND } from "../src/pins.js";
import { runQtests } from "../src/qtests.js";
import { tempDir } from "./helpers.js";

function builtBinary(): { path?: string; reason?: string } {
  try {
    return { path: qemuBinaryPath() };
  } catch (error) {
    return { reason: (error as Error).message };
  }
}

const built = builtBinary();
if (built.reason) console.log(`qemu-patches integration tests skipped: ${built.reason}`);

describe.skipIf(built.reason !== undefined)("the patched QEMU", () => {
  it("passes every nvme qtest: the Boot Partition tests and the stock set", async () => {
    const result = await runQtests();
    expect(result.failed).toBe(0);
    expect(result.bootPartition).toEqual({ passed: 19, failed: 0, skipped: 0 });
    expect(result.stock.passed).toBeGreaterThanOrEqual(4);
  });

  it("offers bootpart and no power-cycle property: a power cycle is a new realize (MC-42)", () => {
    const help = spawnSync(built.path ?? "", ["-device", "nvme,help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/bootpart=<str>/);
    expect(help.stdout).not.toMatch(/bp-reset-is-power-cycle/);
    expect(help.stdout).not.toMatch(/x-bp-power-cycle/);
  });

  it("starts without a word on stderr for a bootpart image without the metadata block (valid)", () => {
    // BPSZ=1 and no metadata block: ABPID is not kept, which docs/qemu.md documents; a warning on
    // every start would only teach users to ignore QEMU's warnings.
    const image = join(tempDir(), "bp.img");
    writeFileSync(image, Buffer.alloc(2 * 128 * 1024));
    const qmp = '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n';
    const run = spawnSync(
      built.path ?? "",
      ["-M", "pc", "-accel", "tcg", "-display", "none", "-nodefaults", "-S", "-qmp", "stdio"].concat([
        "-drive",
        `if=none,id=bp0,format=raw,file=${image}`,
        "-device",
        "nvme,serial=bp,bootpart=bp0",
      ]),
      { input: qmp, encoding: "utf8" },
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});

const bin = join(packageDir(), "dist", "bin.js");
if (!existsSync(bin)) console.log(`bplab-qemu bin test skipped: ${bin} is not built (pnpm build)`);

describe.skipIf(!existsSync(bin))("bplab-qemu", () => {
  it("path fails with the build command when nothing is built in the cache", () => {
    const run = spawnSync(process.execPath, [bin, "path", "--cache-dir", tempDir()], { encoding: "utf8" });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error [QEMU_NOT_BUILT]");
    expect(run.stderr).toContain(BUILD_COMMAND);
  });

  it("exits with 2 and the rule on a bad option", () => {
    const run = spawnSync(process.execPath, [bin, "build", "--jobs", "many"], { encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("--jobs: must be a whole number of at least 1");
  });
});
