import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { build, formatBuild, planBuild, qemuBinaryPath } from "@bplab/qemu-patches";
import { afterAll, describe, expect, it } from "vitest";
import { bplab, tempDir } from "./cli-support.js";

const cache = tempDir();
afterAll(() => cache.remove());

/** The cached patched build for the current series, or why the test that reads it skips. */
const builtBinary = (() => {
  try {
    return qemuBinaryPath();
  } catch (error) {
    console.warn(`[cli] skipping "qemu build" on the cached build: ${(error as Error).message}`);
    return undefined;
  }
})();

describe("bplab qemu wraps @bplab/qemu-patches", () => {
  it("path: says the patched QEMU is not built in an empty cache and how to build it (exit 1)", async () => {
    const run = await bplab("qemu", "path", "--cache-dir", cache.path);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/qemu path: \[QEMU_NOT_BUILT\] the patched QEMU is not built/);
    expect(run.stderr).toMatch(/build:qemu/);
  });

  it("path --unpatched: asks about the build without the series, with its own command (exit 1)", async () => {
    const run = await bplab("qemu", "path", "--unpatched", "--cache-dir", cache.path);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/qemu path: \[QEMU_NOT_BUILT\] the unpatched QEMU is not built/);
    expect(run.stderr).toContain(join(cache.path, "qemu-unpatched"));
    expect(run.stderr).toContain("build:qemu --unpatched");
  });

  it("path --unpatched: prints the unpatched binary, not the patched one", async () => {
    const cacheDir = join(cache.path, "unpatched-built");
    const planned = planBuild({ cacheDir, unpatched: true });
    mkdirSync(dirname(planned.layout.qosTest), { recursive: true });
    writeFileSync(planned.layout.binary, "");
    writeFileSync(planned.layout.qosTest, "");
    writeFileSync(planned.layout.stampFile, JSON.stringify({ key: planned.key }));
    const run = await bplab("qemu", "path", "--unpatched", "--cache-dir", cacheDir);
    expect(run).toMatchObject({ code: 0, stdout: `${planned.layout.binary}\n` });
    expect(planned.layout.binary).toContain(join(cacheDir, "qemu-unpatched"));
  });

  it("--unpatched only applies to build and path (exit 2)", async () => {
    const run = await bplab("qemu", "test", "--unpatched", "--cache-dir", cache.path);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("bplab: --unpatched: only applies to build and path");
  });

  it("fetch: a missing --source is a bad argument named as the option (exit 2)", async () => {
    const missing = join(cache.path, "no-such-qemu.tar.xz");
    const run = await bplab("qemu", "fetch", "--source", missing, "--cache-dir", cache.path);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`bplab: --source: ${missing} does not exist`);
  });

  it("rejects --jobs 0 before calling anything", async () => {
    const run = await bplab("qemu", "build", "--jobs", "0", "--cache-dir", cache.path);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--jobs: must be a whole number of at least 1, got "0"/);
  });

  it.skipIf(!builtBinary)("build: prints @bplab/qemu-patches' own report of the cached build", async () => {
    const run = await bplab("qemu", "build", "--no-install-deps");
    expect(run.code).toBe(0);
    const cached = await build({ installDependencies: false });
    expect(cached.cached).toBe(true);
    expect(run.stdout).toBe(`${formatBuild(cached)}\n`);
  });
});
