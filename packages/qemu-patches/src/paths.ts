/**
 * Where things live. Everything the package writes outside the clone is under one cache root
 * (default ~/.cache/bplab, or BPLAB_CACHE_DIR), in directories whose names start with "qemu".
 */
import { homedir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SOURCE_TOP_DIR } from "./pins.js";

export interface PathOptions {
  /** The cache root; default BPLAB_CACHE_DIR or ~/.cache/bplab. */
  cacheDir?: string;
  /** The environment to read BPLAB_* variables from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

export const CACHE_DIR_ENV = "BPLAB_CACHE_DIR";

export function cacheRoot(options: PathOptions = {}): string {
  const env = options.env ?? process.env;
  return resolve(options.cacheDir ?? env[CACHE_DIR_ENV] ?? join(homedir(), ".cache", "bplab"));
}

/** Downloaded Debian source files. */
export function downloadDir(options: PathOptions = {}): string {
  return join(cacheRoot(options), "qemu-dl");
}

export function ccacheDir(options: PathOptions = {}): string {
  return join(cacheRoot(options), "qemu-ccache");
}

/** The layout of one build: a source tree and a build tree side by side, so ccache can share. */
export interface BuildLayout {
  /** The ccache base directory: compiler paths are relative to it. */
  readonly root: string;
  readonly sourceDir: string;
  readonly buildDir: string;
  readonly stampFile: string;
  readonly gatesDir: string;
  readonly logDir: string;
  readonly binary: string;
  readonly qosTest: string;
}

function layoutUnder(root: string): BuildLayout {
  const buildDir = join(root, "build");
  return {
    root,
    sourceDir: join(root, SOURCE_TOP_DIR),
    buildDir,
    stampFile: join(root, "build.json"),
    gatesDir: join(root, "gates"),
    logDir: join(root, "logs"),
    binary: join(buildDir, "qemu-system-x86_64"),
    qosTest: join(buildDir, "tests", "qtest", "qos-test"),
  };
}

/** The cache areas (directories under the cache root) that hold one build tree per key. */
export const PATCHED_AREA = "qemu";
export const BISECT_AREA = "qemu-bisect";
export const UNPATCHED_AREA = "qemu-unpatched";

/** The cached build of the whole series, keyed by buildKey(). */
export function buildLayout(key: string, options: PathOptions = {}): BuildLayout {
  return layoutUnder(join(cacheRoot(options), PATCHED_AREA, key));
}

/**
 * The cached build of the pinned source without the series, keyed by buildKey() of no patches.
 * Its own area, so pruning the patched builds never removes it (and the other way round).
 */
export function unpatchedLayout(key: string, options: PathOptions = {}): BuildLayout {
  return layoutUnder(join(cacheRoot(options), UNPATCHED_AREA, key));
}

/** Where the bisect gate builds the prefixes of the series. */
export function bisectLayout(key: string, options: PathOptions = {}): BuildLayout {
  return layoutUnder(join(cacheRoot(options), BISECT_AREA, key));
}

/** The package directory (the one holding package.json and patches/). */
export function packageDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "..");
}

export function defaultPatchesDir(): string {
  return join(packageDir(), "patches");
}
