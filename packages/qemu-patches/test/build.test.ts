import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  build,
  compileTree,
  linkFirmware,
  planBuild,
  pruneOldBuilds,
  qemuBinaryPath,
  UNPATCHED_AREAS,
} from "../src/build.js";
import { BuildFailedError, QemuNotBuiltError } from "../src/errors.js";
import { buildLayout, defaultPatchesDir, unpatchedLayout } from "../src/paths.js";
import {
  BUILD_COMMAND,
  CONFIGURE_FLAGS,
  FIRMWARE_DIRS,
  ORIG_TARBALL_SHA256,
  UNPATCHED_BUILD_COMMAND,
} from "../src/pins.js";
import { type ProgressEvent, StepReporter } from "../src/progress.js";
import { buildKey, parseSeriesFile } from "../src/series.js";
import { fakeBuiltCache } from "./fixtures.js";
import { scriptedRunner, tempDir } from "./helpers.js";

describe("qemuBinaryPath", () => {
  it("throws QemuNotBuiltError with the exact build command when nothing is built", () => {
    const cacheDir = tempDir();
    let caught: unknown;
    try {
      qemuBinaryPath({ cacheDir, env: {} });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(QemuNotBuiltError);
    expect((caught as QemuNotBuiltError).code).toBe("QEMU_NOT_BUILT");
    expect((caught as Error).message).toContain(`build it with: ${BUILD_COMMAND}`);
    expect((caught as Error).message).toContain(join(cacheDir, "qemu"));
  });

  it("returns the binary of the finished build for this series", () => {
    const built = fakeBuiltCache();
    expect(qemuBinaryPath({ cacheDir: built.cacheDir, env: {} })).toBe(built.binary);
  });

  it("does not take a build of other patches or another source for this one", () => {
    const built = fakeBuiltCache();
    const tarball = join(tempDir(), "qemu-10.2.2.tar.xz");
    writeFileSync(tarball, "not the pinned tarball");
    expect(() => qemuBinaryPath({ cacheDir: built.cacheDir, env: { BPLAB_QEMU_SRC: tarball } })).toThrow(
      QemuNotBuiltError,
    );
  });
});

describe("planBuild", () => {
  it("keys Debian's pinned tarball by its recorded sha256 without reading it", () => {
    const planned = planBuild({ cacheDir: "/nonexistent-cache", env: {} });
    expect(planned.source).toMatchObject({ kind: "debian", identity: ORIG_TARBALL_SHA256, verified: true });
    expect(planned.layout).toEqual(buildLayout(planned.key, { cacheDir: "/nonexistent-cache" }));
    const listed = parseSeriesFile(readFileSync(join(defaultPatchesDir(), "series"), "utf8"));
    expect(planned.series.patches.map((patch) => patch.name)).toEqual(listed);
    expect(listed.length).toBeGreaterThan(0);
  });
});

describe("build", () => {
  it("reuses a finished build without running anything", async () => {
    const built = fakeBuiltCache();
    const runner = scriptedRunner();
    const result = await build({ cacheDir: built.cacheDir, env: {}, runner });
    expect(result).toMatchObject({ cached: true, binary: built.binary, key: built.stamp.key });
    expect(runner.calls).toHaveLength(0);
  });
});

describe("compileTree", () => {
  function layoutWithSource() {
    const layout = buildLayout("k", { cacheDir: tempDir() });
    mkdirSync(layout.sourceDir, { recursive: true });
    return layout;
  }

  it("configures once, then reports ninja's [n/m] lines as progress", async () => {
    const layout = layoutWithSource();
    const events: ProgressEvent[] = [];
    const runner = scriptedRunner([
      [(command) => command.endsWith("/configure"), {}],
      [(command) => command === "ninja", { lines: ["[1/2] Compiling a.o", "[2/2] Linking qemu"] }],
    ]);
    const reporter = new StepReporter("compile", (event) => events.push(event));
    await compileTree({ layout, env: {}, jobs: 3, runner, reporter });
    expect(runner.calls.map((call) => call.command)).toEqual([join(layout.sourceDir, "configure"), "ninja"]);
    expect(runner.calls[0]?.args).toEqual(CONFIGURE_FLAGS);
    expect(runner.calls[1]?.args[0]).toBe("-j3");
    expect(events.filter((event) => event.total === 2).map((event) => event.current)).toEqual([1, 2]);
  });

  it("keeps configure's and ninja's output in their log files only, not in memory", async () => {
    // A cold build prints megabytes; the runner keeps stdout in memory unless told not to.
    const layout = layoutWithSource();
    const runner = scriptedRunner([]);
    await compileTree({ layout, env: {}, jobs: 1, runner, reporter: new StepReporter("compile", () => {}) });
    expect(runner.calls.map((call) => call.options.captureStdout)).toEqual([false, false]);
    expect(runner.calls.every((call) => call.options.logFile !== undefined)).toBe(true);
  });

  it("throws BuildFailedError with the step, the log and the tail", async () => {
    const layout = layoutWithSource();
    mkdirSync(layout.buildDir, { recursive: true });
    writeFileSync(join(layout.buildDir, "build.ninja"), "");
    const runner = scriptedRunner([
      [(command) => command === "ninja", { exitCode: 1, lines: ["ctrl.c:1: error: x"] }],
    ]);
    const run = compileTree({
      layout,
      env: {},
      jobs: 1,
      runner,
      reporter: new StepReporter("compile", undefined),
    });
    await expect(run).rejects.toBeInstanceOf(BuildFailedError);
    await expect(run).rejects.toThrow(`step "ninja" failed; full log: ${join(layout.logDir, "ninja.log")}`);
    expect(runner.calls.map((call) => call.command)).toEqual(["ninja"]);
  });
});

describe("linkFirmware", () => {
  it("mirrors the firmware directories that exist under build/qemu-bundle", () => {
    const layout = buildLayout("k", { cacheDir: tempDir() });
    mkdirSync(layout.buildDir, { recursive: true });
    linkFirmware(layout);
    linkFirmware(layout);
    for (const dir of FIRMWARE_DIRS) {
      const link = join(layout.buildDir, "qemu-bundle", dir);
      expect(existsSync(dir) ? readlinkSync(link) : existsSync(link)).toBe(existsSync(dir) ? dir : false);
    }
  });
});

describe("pruneOldBuilds", () => {
  it("keeps the current build and the newest other one, in both build areas", () => {
    const cacheDir = tempDir();
    const make = (area: string, key: string, ageMs: number) => {
      const dir = join(cacheDir, area, key);
      mkdirSync(dir, { recursive: true });
      const when = new Date(Date.now() - ageMs);
      utimesSync(dir, when, when);
      return dir;
    };
    make("qemu", "current", 9_000);
    make("qemu", "newer", 1_000);
    const older = make("qemu", "older", 5_000);
    make("qemu-bisect", "old", 5_000);
    const bisectOlder = make("qemu-bisect", "older", 8_000);
    make("qemu-bisect", "current", 1_000);
    expect(pruneOldBuilds("current", { cacheDir }).sort()).toEqual([older, bisectOlder].sort());
    expect(readdirSync(join(cacheDir, "qemu")).sort()).toEqual(["current", "newer"]);
    expect(readdirSync(join(cacheDir, "qemu-bisect")).sort()).toEqual(["current", "old"]);
  });
});

describe("the unpatched build (the pinned source without the series)", () => {
  it("has its own key and directory: no patch in the key, same source, under qemu-unpatched/", () => {
    const cacheDir = "/nonexistent-cache";
    const patched = planBuild({ cacheDir, env: {} });
    const unpatched = planBuild({ cacheDir, env: {}, unpatched: true });
    expect(unpatched.series.patches).toEqual([]);
    expect(unpatched.source).toEqual(patched.source);
    expect(unpatched.key).not.toBe(patched.key);
    expect(unpatched.key).toBe(buildKey(patched.source.identity, []));
    expect(unpatched.layout).toEqual(unpatchedLayout(unpatched.key, { cacheDir }));
    expect(unpatched.layout.root).toBe(join(cacheDir, "qemu-unpatched", unpatched.key));
  });

  it("qemuBinaryPath({ unpatched: true }) names the unpatched build command, not the patched one", () => {
    const built = fakeBuiltCache();
    let caught: unknown;
    try {
      qemuBinaryPath({ cacheDir: built.cacheDir, env: {}, unpatched: true });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(QemuNotBuiltError);
    expect((caught as QemuNotBuiltError).variant).toBe("unpatched");
    expect((caught as Error).message).toContain("the unpatched QEMU is not built");
    expect((caught as Error).message).toContain(`build it with: ${UNPATCHED_BUILD_COMMAND}`);
    expect((caught as Error).message).toContain(join(built.cacheDir, "qemu-unpatched"));
  });

  it("finds and reuses its own finished build, never the patched one", async () => {
    const cacheDir = tempDir();
    const patched = fakeBuiltCache({ cacheDir });
    const unpatched = fakeBuiltCache({ cacheDir, unpatched: true });
    expect(unpatched.binary).not.toBe(patched.binary);
    expect(qemuBinaryPath({ cacheDir, env: {}, unpatched: true })).toBe(unpatched.binary);
    expect(qemuBinaryPath({ cacheDir, env: {} })).toBe(patched.binary);
    const runner = scriptedRunner();
    const result = await build({ cacheDir, env: {}, runner, unpatched: true });
    expect(result).toMatchObject({ cached: true, unpatched: true, binary: unpatched.binary });
    expect(runner.calls).toHaveLength(0);
  });

  it("pruning one kind of build never removes the other kind", () => {
    const cacheDir = tempDir();
    for (const dir of ["qemu/p1", "qemu/p2", "qemu/p3", "qemu-unpatched/u1", "qemu-unpatched/u2"])
      mkdirSync(join(cacheDir, dir), { recursive: true });
    expect(
      pruneOldBuilds("p1", { cacheDir }).every((dir) => dir.includes(`${join(cacheDir, "qemu")}/`)),
    ).toBe(true);
    expect(readdirSync(join(cacheDir, "qemu-unpatched")).sort()).toEqual(["u1", "u2"]);
    pruneOldBuilds("u9", { cacheDir }, UNPATCHED_AREAS);
    expect(readdirSync(join(cacheDir, "qemu")).length).toBe(2);
    expect(readdirSync(join(cacheDir, "qemu-unpatched")).length).toBe(1);
  });
});
