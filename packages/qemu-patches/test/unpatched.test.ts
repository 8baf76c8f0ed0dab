/**
 * Against the real unpatched QEMU in the cache (built by `bplab-qemu build --unpatched` or by the
 * test suite's prepare step): the proof that it is stock 10.2.2 and that vfio-user needs no patch.
 * Without a build the tests are skipped, and the reason is printed.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planBuild, qemuBinaryPath, readStamp } from "../src/build.js";
import { unpatchedLayout } from "../src/paths.js";
import { tempDir } from "./helpers.js";

function binaryOrReason(unpatched: boolean): { path?: string; reason?: string } {
  try {
    return { path: qemuBinaryPath({ unpatched }) };
  } catch (error) {
    return { reason: (error as Error).message };
  }
}

const unpatched = binaryOrReason(true);
const patched = binaryOrReason(false);
if (unpatched.reason) console.log(`unpatched QEMU tests skipped: ${unpatched.reason}`);

/** `-device help` of a binary, without the machine or a display. */
function deviceHelp(binary: string): string {
  const run = spawnSync(binary, ["-machine", "none", "-device", "help"], { encoding: "utf8" });
  expect(run.status).toBe(0);
  return run.stdout;
}

describe.skipIf(unpatched.reason !== undefined)("the unpatched QEMU 10.2.2", () => {
  const binary = unpatched.path ?? "";

  it("was built from the pinned source with no patch applied", () => {
    const planned = planBuild({ unpatched: true });
    const stamp = readStamp(unpatchedLayout(planned.key));
    expect(stamp).toMatchObject({ key: planned.key, qemuVersion: "10.2.2", patches: [], commits: [] });
    const version = spawnSync(binary, ["--version"], { encoding: "utf8" });
    expect(version.stdout).toMatch(/^QEMU emulator version 10\.2\.2\b/);
  });

  it("has the vfio-user-pci device (stock QEMU, no patch needed)", () => {
    expect(deviceHelp(binary)).toMatch(/^name "vfio-user-pci", bus PCI/m);
  });

  it("has no Boot Partitions: nvme has no bootpart property, and QEMU refuses to start with one", () => {
    const help = spawnSync(binary, ["-machine", "none", "-device", "nvme,help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/serial=<str>/);
    expect(help.stdout).not.toMatch(/bootpart/);

    const image = join(tempDir(), "bp.img");
    writeFileSync(image, Buffer.alloc(2 * 128 * 1024));
    const run = spawnSync(
      binary,
      ["-M", "pc", "-accel", "tcg", "-display", "none", "-nodefaults", "-S", "-qmp", "stdio"].concat([
        "-drive",
        `if=none,id=bp0,format=raw,file=${image}`,
        "-device",
        "nvme,serial=bp,bootpart=bp0",
      ]),
      { input: '{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n', encoding: "utf8" },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/Property 'nvme\.bootpart' not found/);
  });

  it.skipIf(patched.reason !== undefined)("has exactly the patched build's device set (same flags)", () => {
    expect(binary).not.toBe(patched.path);
    expect(deviceHelp(binary)).toBe(deviceHelp(patched.path ?? ""));
  });
});
