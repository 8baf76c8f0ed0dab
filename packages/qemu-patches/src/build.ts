/**
 * Configures and compiles the patched QEMU, caches the result under ~/.cache/bplab/qemu/<key>/
 * and finds it again (`qemuBinaryPath`). With `unpatched: true` the same recipe builds the pinned
 * source without the series into qemu-unpatched/<key>/: the proof that vfio-user needs no patch.
 */

import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { ensureBuildDependencies } from "./apt.js";
import { BuildFailedError, QemuNotBuiltError } from "./errors.js";
import { detectHost } from "./host.js";
import { isLockHeld, LOCK_FILE_NAME, type LockOptions, withLock } from "./lock.js";
import {
  BISECT_AREA,
  type BuildLayout,
  buildLayout,
  cacheRoot,
  ccacheDir,
  defaultPatchesDir,
  PATCHED_AREA,
  type PathOptions,
  UNPATCHED_AREA,
  unpatchedLayout,
} from "./paths.js";
import {
  BUILD_COMMAND,
  BUILD_TARGETS,
  CONFIGURE_FLAGS,
  FIRMWARE_DIRS,
  QEMU_VERSION,
  UNPATCHED_BUILD_COMMAND,
} from "./pins.js";
import { type CommandRunner, runCommand } from "./process.js";
import { type Clock, type ProgressListener, parseNinjaProgress, StepReporter } from "./progress.js";
import { buildKey, loadSeries, type Series } from "./series.js";
import { fetchSource, type QemuSource, resolveSourceSync } from "./source.js";
import { type PreparedTree, prepareTree } from "./tree.js";

export interface BuildOptions extends PathOptions {
  /** patches/ directory; default the package's own. */
  patchesDir?: string;
  /**
   * Build (or find) the pinned source WITHOUT the series: same source, fixups, configure flags,
   * device set and ccache, its own key and tree (qemu-unpatched/<key>/). patchesDir is ignored.
   */
  unpatched?: boolean;
  /** A tarball or git checkout instead of Debian's tarball; default BPLAB_QEMU_SRC. */
  source?: string;
  /** Parallel compile jobs; default the number of CPUs. */
  jobs?: number;
  /** Rebuild even when a cached build exists. */
  force?: boolean;
  /** Install missing Debian packages (as root); default true. */
  installDependencies?: boolean;
  runner?: CommandRunner;
  onProgress?: ProgressListener;
  clock?: Clock;
  aptSourcesDir?: string;
  /** How to wait for another process building the same key (tests inject these). */
  lock?: LockOptions;
}

export interface BuildStamp {
  readonly key: string;
  readonly qemuVersion: string;
  readonly source: Pick<QemuSource, "kind" | "identity" | "verified">;
  readonly patches: readonly string[];
  readonly commits: readonly string[];
  readonly builtAt: string;
  readonly durationMs: number;
}

/** What the unpatched build applies: nothing. Its key is buildKey() of no patches. */
const NO_SERIES: Series = { dir: "", patches: [] };

export interface BuildResult {
  readonly key: string;
  readonly binary: string;
  readonly qosTest: string;
  readonly layout: BuildLayout;
  /** True when an existing build was reused. */
  readonly cached: boolean;
  /** True for the build of the pinned source without the series. */
  readonly unpatched: boolean;
  readonly durationMs: number;
  readonly stamp: BuildStamp;
}

export function readStamp(layout: BuildLayout): BuildStamp | undefined {
  if (!existsSync(layout.stampFile)) return undefined;
  try {
    return JSON.parse(readFileSync(layout.stampFile, "utf8")) as BuildStamp;
  } catch {
    return undefined;
  }
}

function isBuilt(layout: BuildLayout, key: string): BuildStamp | undefined {
  const stamp = readStamp(layout);
  if (stamp?.key !== key || !existsSync(layout.binary) || !existsSync(layout.qosTest)) return undefined;
  return stamp;
}

/** The environment for configure and ninja: ccache shared by every layout of the same shape. */
export function buildEnv(
  layout: BuildLayout,
  options: PathOptions & { env?: NodeJS.ProcessEnv },
): NodeJS.ProcessEnv {
  return {
    ...(options.env ?? process.env),
    CCACHE_DIR: ccacheDir(options),
    CCACHE_BASEDIR: layout.root,
    CCACHE_NOHASHDIR: "1",
  };
}

export interface CompileOptions {
  layout: BuildLayout;
  env: NodeJS.ProcessEnv;
  jobs: number;
  runner: CommandRunner;
  reporter: StepReporter;
  /** Distinguishes the logs of several compiles in one layout (the bisect gate). */
  logName?: string;
}

/** configure (once per build directory), then ninja with its [n/m] lines as progress. */
export async function compileTree(options: CompileOptions): Promise<void> {
  const { layout, env, runner, reporter } = options;
  mkdirSync(layout.buildDir, { recursive: true });
  mkdirSync(layout.logDir, { recursive: true });
  if (!existsSync(join(layout.buildDir, "build.ninja"))) {
    reporter.report("configure");
    const logFile = join(layout.logDir, "configure.log");
    const configured = await runner(join(layout.sourceDir, "configure"), CONFIGURE_FLAGS, {
      cwd: layout.buildDir,
      env,
      logFile,
      captureStdout: false,
    });
    if (configured.exitCode !== 0) {
      // a half-configured build directory would be mistaken for a configured one
      rmSync(join(layout.buildDir, "build.ninja"), { force: true });
      throw new BuildFailedError("configure", logFile, configured.tail);
    }
  }
  const logFile = join(layout.logDir, `${options.logName ?? "ninja"}.log`);
  reporter.report(`ninja -j${options.jobs} ${BUILD_TARGETS.join(" ")}`);
  const compiled = await runner("ninja", [`-j${options.jobs}`, ...BUILD_TARGETS], {
    cwd: layout.buildDir,
    env,
    logFile,
    captureStdout: false,
    onLine: (line) => {
      const progress = parseNinjaProgress(line);
      if (progress) reporter.report(progress.what, progress.current, progress.total);
    },
  });
  if (compiled.exitCode !== 0) throw new BuildFailedError("ninja", logFile, compiled.tail);
}

/** An uninstalled binary looks for firmware only under build/qemu-bundle/<firmware path>. */
export function linkFirmware(layout: BuildLayout): void {
  for (const dir of FIRMWARE_DIRS) {
    if (!existsSync(dir)) continue;
    const link = join(layout.buildDir, "qemu-bundle", dir);
    mkdirSync(dirname(link), { recursive: true });
    try {
      lstatSync(link);
    } catch {
      symlinkSync(dir, link);
    }
  }
}

export interface Planned {
  readonly source: QemuSource;
  readonly series: Series;
  readonly key: string;
  readonly layout: BuildLayout;
}

function seriesFor(options: BuildOptions): Series {
  return options.unpatched ? NO_SERIES : loadSeries(options.patchesDir ?? defaultPatchesDir());
}

function layoutFor(key: string, options: BuildOptions): BuildLayout {
  return options.unpatched ? unpatchedLayout(key, options) : buildLayout(key, options);
}

/** Which build the options describe: source, series, key and layout (no side effects). */
export function planBuild(options: BuildOptions = {}): Planned {
  const source = resolveSourceSync(options);
  const series = seriesFor(options);
  const key = buildKey(source.identity, series.patches);
  return { source, series, key, layout: layoutFor(key, options) };
}

async function prepare(
  options: BuildOptions,
  runner: CommandRunner,
): Promise<Planned & { tree: PreparedTree }> {
  const depsReporter = new StepReporter("deps", options.onProgress, options.clock);
  if (options.installDependencies !== false) {
    const host = await detectHost(runner, options.env);
    await ensureBuildDependencies({
      runner,
      reporter: depsReporter,
      host,
      env: options.env ?? process.env,
      ...(options.aptSourcesDir ? { sourcesDir: options.aptSourcesDir } : {}),
    });
  }
  const source = await fetchSource({ ...options, runner });
  const series = seriesFor(options);
  const key = buildKey(source.identity, series.patches);
  const layout = layoutFor(key, options);
  const tree = await prepareTree({
    layout,
    key,
    source,
    series,
    runner,
    reporter: new StepReporter("patch", options.onProgress, options.clock),
  });
  return { source, series, key, layout, tree };
}

/** The source tree with the whole series applied (unpacked and patched if needed). */
export async function applyPatches(
  options: BuildOptions = {},
): Promise<PreparedTree & { layout: BuildLayout }> {
  const planned = await prepare(options, options.runner ?? runCommand);
  return { ...planned.tree, layout: planned.layout };
}

/** The lock that keeps two processes out of one build (or bisect) tree. */
export function lockPath(layout: BuildLayout): string {
  return join(layout.root, LOCK_FILE_NAME);
}

/**
 * Builds the patched qemu-system-x86_64 and qos-test, or reuses the cached build. A process that
 * finds another one building the same key waits for it (and then reuses its build).
 */
export async function build(options: BuildOptions = {}): Promise<BuildResult> {
  const reporter = new StepReporter("build", options.onProgress, options.clock);
  const wanted = planBuild(options);
  const cached = () => {
    const stamp = options.force ? undefined : isBuilt(wanted.layout, wanted.key);
    if (!stamp) return undefined;
    reporter.report(`cached build ${wanted.key}: ${wanted.layout.binary}`);
    linkFirmware(wanted.layout);
    return resultOf(wanted, stamp, true, reporter.elapsedMs, options);
  };
  const reused = cached();
  if (reused) return reused;
  const lock = lockPath(wanted.layout);
  return withLock(lock, async () => cached() ?? (await buildLocked(options, reporter)), {
    onWait: (pid) => reporter.report(`waiting for process ${pid}, which holds ${lock}`),
    ...options.lock,
  });
}

async function buildLocked(options: BuildOptions, reporter: StepReporter): Promise<BuildResult> {
  const runner = options.runner ?? runCommand;
  const planned = await prepare(options, runner);
  const { layout } = planned;
  if (options.force) rmSync(layout.buildDir, { recursive: true, force: true });
  await compileTree({
    layout,
    env: buildEnv(layout, options),
    jobs: options.jobs ?? availableParallelism(),
    runner,
    reporter: new StepReporter("compile", options.onProgress, options.clock),
  });
  linkFirmware(layout);
  const stamp: BuildStamp = {
    key: planned.key,
    qemuVersion: QEMU_VERSION,
    source: {
      kind: planned.source.kind,
      identity: planned.source.identity,
      verified: planned.source.verified,
    },
    patches: planned.series.patches.map((patch) => patch.name),
    commits: planned.tree.commits,
    builtAt: new Date().toISOString(),
    durationMs: Math.round(reporter.elapsedMs),
  };
  writeFileSync(layout.stampFile, `${JSON.stringify(stamp, null, 2)}\n`);
  reporter.report(`built ${layout.binary}`);
  const areas = options.unpatched ? UNPATCHED_AREAS : PATCHED_AREAS;
  for (const removed of pruneOldBuilds(planned.key, options, areas))
    reporter.report(`removed the old build ${removed}`);
  return resultOf(planned, stamp, false, reporter.elapsedMs, options);
}

/** Builds kept besides the current one, so a process still running an older binary keeps it. */
export const KEEP_OLDER_BUILDS = 1;

/** The areas a patched build prunes, and the one an unpatched build prunes. */
export const PATCHED_AREAS: readonly string[] = [PATCHED_AREA, BISECT_AREA];
export const UNPATCHED_AREAS: readonly string[] = [UNPATCHED_AREA];

/**
 * Removes the build trees (by default qemu/<key>/ and qemu-bisect/<key>/) of other keys except
 * the most recently used ones; each is several hundred MB. Returns the directories removed.
 */
export function pruneOldBuilds(
  currentKey: string,
  options: PathOptions = {},
  areas: readonly string[] = PATCHED_AREAS,
): string[] {
  const removed: string[] = [];
  for (const area of areas) {
    const dir = join(cacheRoot(options), area);
    if (!existsSync(dir)) continue;
    const others = readdirSync(dir)
      // a tree another process is building or bisecting stays
      .filter((name) => name !== currentKey && !isLockHeld(join(dir, name, LOCK_FILE_NAME)))
      .map((name) => ({ path: join(dir, name), mtimeMs: statSync(join(dir, name)).mtimeMs }))
      .sort((a, b) => b.mtimeMs - a.mtimeMs);
    for (const old of others.slice(KEEP_OLDER_BUILDS)) {
      rmSync(old.path, { recursive: true, force: true });
      removed.push(old.path);
    }
  }
  return removed;
}

function resultOf(
  planned: Planned,
  stamp: BuildStamp,
  cached: boolean,
  durationMs: number,
  options: BuildOptions,
): BuildResult {
  return {
    key: planned.key,
    binary: planned.layout.binary,
    qosTest: planned.layout.qosTest,
    layout: planned.layout,
    cached,
    unpatched: options.unpatched === true,
    durationMs: Math.round(durationMs),
    stamp,
  };
}

/**
 * The path of the patched qemu-system-x86_64 for the current series and source, or with
 * `unpatched: true` of the pinned source built without the series. Throws QemuNotBuiltError,
 * whose message holds the command that builds it, when it is not built.
 */
export function qemuBinaryPath(options: BuildOptions = {}): string {
  const planned = planBuild(options);
  if (!isBuilt(planned.layout, planned.key)) {
    throw options.unpatched
      ? new QemuNotBuiltError(planned.layout.binary, UNPATCHED_BUILD_COMMAND, "unpatched")
      : new QemuNotBuiltError(planned.layout.binary, BUILD_COMMAND);
  }
  return planned.layout.binary;
}
