/**
 * The build recipe as data: everything `build()` does to the pinned Debian tarball (excludes,
 * fixups, device set, series, configure flags, targets, Debian packages) in one JSON-able object.
 * The lab image's builder stage (docker/qemu/build-qemu.sh) reads this file instead of keeping a
 * second copy of the flags, and installs the result under the same key and stamp, so
 * `qemuBinaryPath()` inside the image finds it exactly as it finds a host build.
 */
import type { BuildStamp } from "./build.js";
import { defaultPatchesDir } from "./paths.js";
import {
  APT_PACKAGES,
  BACKPORTS_PACKAGES,
  BUILD_TARGETS,
  CONFIGURE_FLAGS,
  DEBIAN_BACKPORTS_SUITE,
  DEVICE_CONFIG,
  DEVICE_CONFIG_NAME,
  FIRMWARE_DIRS,
  ORIG_TARBALL,
  ORIG_TARBALL_SHA256,
  QEMU_VERSION,
  SERIES_AUTHOR,
  SOURCE_EXCLUDES,
  SOURCE_FIXUPS,
  SOURCE_TOP_DIR,
  type SourceFixup,
} from "./pins.js";
import { buildKey, loadSeries } from "./series.js";

/** Bumped when the shape of QemuBuildRecipe changes (the script checks it). */
export const RECIPE_FORMAT = 1;

export interface QemuBuildRecipe {
  readonly format: typeof RECIPE_FORMAT;
  readonly qemuVersion: string;
  /** buildKey() of the Debian tarball and the series: the directory name under qemu/. */
  readonly key: string;
  readonly origTarball: string;
  readonly origTarballSha256: string;
  readonly sourceTopDir: string;
  /** Paths `tar --exclude`s while unpacking. */
  readonly sourceExcludes: readonly string[];
  readonly fixups: readonly SourceFixup[];
  readonly deviceConfigName: string;
  /** The lines of configs/devices/x86_64-softmmu/<deviceConfigName>.mak. */
  readonly deviceConfig: readonly string[];
  /** The series' patch file names, in `git am` order (the files sit next to the recipe). */
  readonly patches: readonly string[];
  readonly seriesAuthor: string;
  readonly configureFlags: readonly string[];
  readonly buildTargets: readonly string[];
  readonly aptPackages: readonly string[];
  readonly backportsSuite: string;
  readonly backportsPackages: readonly string[];
  readonly firmwareDirs: readonly string[];
  /** build.json for the installed build, without builtAt/durationMs (the builder adds them). */
  readonly stamp: Omit<BuildStamp, "builtAt" | "durationMs">;
}

/** The recipe of the patched build from Debian's tarball (patchesDir: default the package's own). */
export function qemuBuildRecipe(patchesDir: string = defaultPatchesDir()): QemuBuildRecipe {
  const series = loadSeries(patchesDir);
  const key = buildKey(ORIG_TARBALL_SHA256, series.patches);
  const patches = series.patches.map((patch) => patch.name);
  return {
    format: RECIPE_FORMAT,
    qemuVersion: QEMU_VERSION,
    key,
    origTarball: ORIG_TARBALL,
    origTarballSha256: ORIG_TARBALL_SHA256,
    sourceTopDir: SOURCE_TOP_DIR,
    sourceExcludes: SOURCE_EXCLUDES,
    fixups: SOURCE_FIXUPS,
    deviceConfigName: DEVICE_CONFIG_NAME,
    deviceConfig: DEVICE_CONFIG,
    patches,
    seriesAuthor: SERIES_AUTHOR,
    configureFlags: CONFIGURE_FLAGS,
    buildTargets: BUILD_TARGETS,
    aptPackages: [...APT_PACKAGES],
    backportsSuite: DEBIAN_BACKPORTS_SUITE,
    backportsPackages: [...BACKPORTS_PACKAGES],
    firmwareDirs: FIRMWARE_DIRS,
    stamp: {
      key,
      qemuVersion: QEMU_VERSION,
      source: { kind: "debian", identity: ORIG_TARBALL_SHA256, verified: true },
      patches,
      commits: [],
    },
  };
}
