/**
 * @bplab/qemu-patches: the QEMU 10.2.2 hw/nvme patch series that adds Boot Partitions and Boot
 * Partition write protection, with the pinned source, the cached build, the qtests and the gates.
 */

export type { AptSourceFile, Deb822Stanza, DebianMirror, HostFacts } from "./apt.js";
export {
  aptEnvironment,
  buildAptSourceFiles,
  ensureBuildDependencies,
  findDebianMirror,
  parseDeb822,
  readDebianMirror,
  SYSTEM_PATH_DIRS,
} from "./apt.js";
export type { BuildOptions, BuildResult, BuildStamp } from "./build.js";
export { applyPatches, build, planBuild, qemuBinaryPath } from "./build.js";
export type { CheckOptions, CheckResult, GateName, GateResult } from "./check.js";
export { check, GATE_NAMES } from "./check.js";
export type { CheckpatchReport } from "./checkpatch.js";
export { parseCheckpatchTotals } from "./checkpatch.js";
export type { QemuPatchesErrorCode } from "./errors.js";
export {
  BadOptionError,
  BuildFailedError,
  CommandFailedError,
  MissingDependenciesError,
  PatchFailedError,
  QemuNotBuiltError,
  QemuPatchesError,
  SeriesError,
  SourceChecksumError,
  SourceUnavailableError,
} from "./errors.js";
export { detectHost } from "./host.js";
export type { LockOptions } from "./lock.js";
export { processIsAlive } from "./lock.js";
export type { BuildLayout, PathOptions } from "./paths.js";
export { bisectLayout, buildLayout, cacheRoot, defaultPatchesDir, unpatchedLayout } from "./paths.js";
export {
  BUILD_COMMAND,
  CONFIGURE_FLAGS,
  DEBIAN_SOURCE_VERSION,
  NVME_QOS_PATH,
  ORIG_TARBALL,
  ORIG_TARBALL_SHA256,
  QEMU_VERSION,
  UNPATCHED_BUILD_COMMAND,
} from "./pins.js";
export type { CommandRunner, RunOptions, RunResult } from "./process.js";
export type { Clock, ProgressEvent, ProgressListener } from "./progress.js";
export { createProgressPrinter, formatProgressLine, parseNinjaProgress } from "./progress.js";
export type { QtestCounts, QtestOptions, QtestResult } from "./qtests.js";
export { runQtests } from "./qtests.js";
export type { QemuBuildRecipe } from "./recipe.js";
export { qemuBuildRecipe, RECIPE_FORMAT } from "./recipe.js";
export { formatBuild, formatCheck, formatQtests, formatSource, formatTree, qtestsPassed } from "./report.js";
export type { Series, SeriesPatch } from "./series.js";
export { buildKey, loadSeries } from "./series.js";
export type { FetchSourceOptions, QemuSource } from "./source.js";
export { fetchSource, SOURCE_ENV } from "./source.js";
export type { TapSummary, TapTest } from "./tap.js";
export { parseTap } from "./tap.js";
export type { PreparedTree } from "./tree.js";
