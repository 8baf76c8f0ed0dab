/**
 * Builds the guest: Debian's kernel (from `apt-get download linux-image-...`) and an initramfs
 * with busybox-static, nvme-cli and its shared libraries (taken from the installed system), the
 * NVMe driver modules in load order, and the /init of guest-init.ts. The result is cached under
 * <cache>/guest/<key>/, where the key hashes every input, so a repeat run only hashes files.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { gzipSync } from "node:zlib";
import { pins } from "@bplab/pins";
import type { Clock, ProgressListener } from "@bplab/qemu-patches";
import { cacheRoot } from "@bplab/qemu-patches";
import { CpioBuilder, EXECUTABLE_FILE_MODE } from "./cpio.js";
import { GuestBuildError, HostUnsupportedError } from "./errors.js";
import { GUEST_LIBRARY, GuestPath, guestInit } from "./guest-init.js";
import {
  type CommandRunner,
  candidateVersion,
  detectHostFacts,
  ensureHostPackages,
  findDownloadedDeb,
  type HostFacts,
  hostBlockers,
  newestPackageMatching,
  runChecked,
  runCommand,
  sharedLibraries,
  withoutUrls,
} from "./host-system.js";
import {
  type KernelModuleInfo,
  NVME_DRIVER_MODULES,
  resolveLoadOrder,
  scanModuleTree,
} from "./kernel-modules.js";

/** Bump when the image layout or /init changes in a way the other inputs do not capture. */
export const GUEST_FORMAT_VERSION = 1;
/** The kernel the lab was measured with (Debian 12, Linux 6.1.192; in @bplab/pins); override with BPLAB_GUEST_KERNEL. */
export const DEFAULT_KERNEL_PACKAGE = pins.kernel.debianPackage;
export const KERNEL_PACKAGE_ENV = "BPLAB_GUEST_KERNEL";
/** Used when apt no longer offers the pinned kernel: the newest Debian 12 6.1 kernel it does. */
const KERNEL_FALLBACK_PATTERN = "^linux-image-6\\.1\\.0-[0-9]+-amd64$";
/** Debian packages the guest takes its programs from (installed on the host). */
export const HOST_PACKAGES: readonly string[] = Object.freeze(["busybox-static", pins.nvmeCli.debianPackage]);
export const BUSYBOX_PATH = "/bin/busybox";
export const NVME_CLI_PATH = "/usr/sbin/nvme";
/** Older image directories kept next to the current one. */
export const KEEP_OLDER_IMAGES = 1;
const KEY_HEX_DIGITS = 16;
const MANIFEST = "guest.json";
/** Where /init mounts proc, sysfs and devtmpfs, plus a scratch /tmp. */
const MOUNT_POINTS = ["proc", "sys", "dev", "tmp"];
const KERNEL_FILE = "vmlinuz";
const INITRAMFS_FILE = "initramfs.cpio.gz";

export interface GuestManifest {
  readonly formatVersion: number;
  readonly key: string;
  readonly kernelPackage: string;
  readonly kernelDeb: string;
  readonly kernelRelease: string;
  /** Module names in the order /init loads them. */
  readonly modules: readonly string[];
  readonly hostPackages: Readonly<Record<string, string>>;
  readonly kernelBytes: number;
  readonly initramfsBytes: number;
  readonly initramfsUnpackedBytes: number;
  readonly buildMs: number;
  readonly builtAt: string;
}

export interface GuestImage {
  readonly key: string;
  readonly dir: string;
  readonly kernel: string;
  readonly initramfs: string;
  readonly manifest: GuestManifest;
  readonly cached: boolean;
  /** Time this call took (hashing only when cached). */
  readonly durationMs: number;
}

export interface GuestImageOptions {
  /** Cache root; default @bplab/qemu-patches' cacheRoot() (~/.cache/bplab or BPLAB_CACHE_DIR). */
  cacheDir?: string;
  /** Debian kernel package; default BPLAB_GUEST_KERNEL, then DEFAULT_KERNEL_PACKAGE. */
  kernelPackage?: string;
  /** Rebuild even when the cache has this key. */
  force?: boolean;
  onProgress?: ProgressListener;
  runner?: CommandRunner;
  clock?: Clock;
  host?: HostFacts;
  env?: NodeJS.ProcessEnv;
}

const systemClock: Clock = { nowMs: () => performance.now() };

export function guestCacheDir(cacheDir?: string): string {
  return join(cacheRoot(cacheDir === undefined ? {} : { cacheDir }), "guest");
}

export function guestDownloadDir(cacheDir?: string): string {
  return join(cacheRoot(cacheDir === undefined ? {} : { cacheDir }), "guest-dl");
}

function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The cache key: a hash over every input of the image, in a fixed order. */
export function guestImageKey(inputs: {
  kernelDebSha256: string;
  files: ReadonlyArray<readonly [string, string]>;
  init: string;
  library: string;
  moduleRoots: readonly string[];
}): string {
  const canonical = JSON.stringify({
    format: GUEST_FORMAT_VERSION,
    kernel: inputs.kernelDebSha256,
    files: [...inputs.files].sort(([a], [b]) => a.localeCompare(b)),
    init: sha256(inputs.init),
    library: sha256(inputs.library),
    modules: inputs.moduleRoots,
  });
  return sha256(canonical).slice(0, KEY_HEX_DIGITS);
}

function loadCached(dir: string, key: string, startMs: number, clock: Clock): GuestImage | undefined {
  const manifestPath = join(dir, MANIFEST);
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as GuestManifest;
  const kernel = join(dir, KERNEL_FILE);
  const initramfs = join(dir, INITRAMFS_FILE);
  if (manifest.key !== key || !existsSync(kernel) || !existsSync(initramfs)) return undefined;
  return { key, dir, kernel, initramfs, manifest, cached: true, durationMs: clock.nowMs() - startMs };
}

/** Removes image directories other than `keep` and the newest KEEP_OLDER_IMAGES others. */
export function pruneGuestImages(root: string, keep: string): string[] {
  if (!existsSync(root)) return [];
  const others = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== keep && !entry.name.startsWith("."))
    .map((entry) => ({ name: entry.name, mtimeMs: statSync(join(root, entry.name)).mtimeMs }))
    .sort((a, b) => b.mtimeMs - a.mtimeMs);
  const removed = others.slice(KEEP_OLDER_IMAGES).map((entry) => entry.name);
  for (const name of removed) rmSync(join(root, name), { recursive: true, force: true });
  return removed;
}

async function resolveKernelPackage(
  runner: CommandRunner,
  requested: string,
  report: (message: string) => void,
): Promise<string> {
  if (await candidateVersion(runner, requested)) return requested;
  const fallback = await newestPackageMatching(runner, KERNEL_FALLBACK_PATTERN);
  if (!fallback) {
    throw new GuestBuildError("kernel", `apt offers neither ${requested} nor any linux-image-6.1.0-N-amd64`);
  }
  report(`apt no longer offers ${requested}; using ${fallback}`);
  return fallback;
}

/**
 * The kernel .deb in the download cache, fetched with `apt-get download` when missing. It lands
 * in a private directory first and is renamed into place, so a concurrent build never hashes a
 * half-written file.
 */
async function downloadKernel(runner: CommandRunner, pkg: string, dir: string, report: (m: string) => void) {
  const present = findDownloadedDeb(dir, pkg);
  if (present) return join(dir, present);
  const partial = join(dir, `.download-${process.pid}-${randomUUID().slice(0, 8)}`);
  await mkdir(partial, { recursive: true });
  try {
    report(`apt-get download ${pkg}`);
    await runChecked(runner, "apt-get", ["download", pkg], {
      cwd: partial,
      onLine: (line) => report(withoutUrls(line)),
    });
    const fetched = findDownloadedDeb(partial, pkg);
    if (!fetched) throw new GuestBuildError("kernel", `apt-get download ${pkg} left no .deb in ${partial}`);
    await rename(join(partial, fetched), join(dir, fetched));
    return join(dir, fetched);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

type StepReporter = (message: string, current?: number, total?: number) => void;

interface Inputs {
  readonly hostPackages: Record<string, string>;
  readonly kernelPackage: string;
  readonly kernelDeb: string;
  /** Program and library files by their path on the host (= their path in the guest). */
  readonly programs: ReadonlyMap<string, Uint8Array>;
  readonly key: string;
}

/** Installs/locates everything the image is made of and hashes it into the cache key. */
async function gatherInputs(
  options: GuestImageOptions,
  runner: CommandRunner,
  progress: (phase: string) => StepReporter,
): Promise<Inputs> {
  const host = options.host ?? detectHostFacts();
  const blockers = hostBlockers(host);
  if (blockers.length > 0) throw new HostUnsupportedError(blockers);
  const hostReport = progress("guest: host packages");
  hostReport(`checking ${HOST_PACKAGES.join(", ")}`);
  const hostPackages = await ensureHostPackages(runner, HOST_PACKAGES, host, hostReport);

  const kernelReport = progress("guest: kernel");
  const env = options.env ?? process.env;
  const requested = options.kernelPackage ?? env[KERNEL_PACKAGE_ENV] ?? DEFAULT_KERNEL_PACKAGE;
  const kernelPackage = await resolveKernelPackage(runner, requested, kernelReport);
  const kernelDeb = await downloadKernel(
    runner,
    kernelPackage,
    guestDownloadDir(options.cacheDir),
    kernelReport,
  );

  const hashReport = progress("guest: inputs");
  const paths = [BUSYBOX_PATH, NVME_CLI_PATH, ...(await sharedLibraries(runner, NVME_CLI_PATH))];
  hashReport(`hashing the kernel package and ${paths.length} programs and libraries`);
  const programs = new Map<string, Uint8Array>();
  for (const path of paths) programs.set(path, await readFile(realpathSync(path)));
  const key = guestImageKey({
    kernelDebSha256: sha256(await readFile(kernelDeb)),
    files: [...programs].map(([path, data]) => [path, sha256(data)] as const),
    init: guestInit("<release>"),
    library: GUEST_LIBRARY,
    moduleRoots: NVME_DRIVER_MODULES,
  });
  return { hostPackages, kernelPackage, kernelDeb, programs, key };
}

interface ExtractedKernel {
  readonly release: string;
  readonly vmlinuz: string;
  readonly modulesRoot: string;
}

async function extractKernel(
  runner: CommandRunner,
  inputs: Inputs,
  into: string,
  report: StepReporter,
): Promise<ExtractedKernel> {
  await mkdir(into, { recursive: true });
  report(`dpkg-deb -x ${basename(inputs.kernelDeb)}`);
  await runChecked(runner, "dpkg-deb", ["-x", inputs.kernelDeb, into]);
  const modulesDir = join(into, "lib/modules");
  const releases = existsSync(modulesDir) ? readdirSync(modulesDir) : [];
  const release = releases[0];
  if (releases.length !== 1 || !release) {
    throw new GuestBuildError(
      "extract",
      `expected one lib/modules/<release> in ${inputs.kernelPackage}, found ${releases.length}`,
    );
  }
  const vmlinuz = join(into, "boot", `vmlinuz-${release}`);
  if (!existsSync(vmlinuz)) {
    throw new GuestBuildError("extract", `${inputs.kernelPackage} has no boot/vmlinuz-${release}`);
  }
  return { release, vmlinuz, modulesRoot: join(modulesDir, release) };
}

/** The initramfs: programs, libraries, the driver modules in load order, /init and its helpers. */
async function assembleInitramfs(
  programs: ReadonlyMap<string, Uint8Array>,
  kernel: ExtractedKernel,
  order: readonly KernelModuleInfo[],
  report: StepReporter,
): Promise<Uint8Array> {
  const archive = new CpioBuilder();
  for (const name of MOUNT_POINTS) archive.directory(name);
  const total = programs.size + order.length;
  let done = 0;
  for (const [path, data] of programs) {
    archive.file(path, data, EXECUTABLE_FILE_MODE);
    report(path, ++done, total);
  }
  for (const module of order) {
    const path = `lib/modules/${kernel.release}/${module.file}`;
    archive.file(path, await readFile(join(kernel.modulesRoot, module.file)));
    report(path, ++done, total);
  }
  const text = (value: string) => new TextEncoder().encode(value);
  archive.file(GuestPath.moduleList, text(`${order.map((m) => m.file).join("\n")}\n`));
  archive.file(GuestPath.library, text(GUEST_LIBRARY));
  archive.file(GuestPath.init, text(guestInit(kernel.release)), EXECUTABLE_FILE_MODE);
  return archive.encode();
}

/** Builds (or finds in the cache) the guest kernel and initramfs. */
export async function buildGuestImage(options: GuestImageOptions = {}): Promise<GuestImage> {
  const clock = options.clock ?? systemClock;
  const runner = options.runner ?? runCommand;
  const startMs = clock.nowMs();
  const progress =
    (phase: string): StepReporter =>
    (message, current, total) =>
      options.onProgress?.({
        phase,
        message,
        elapsedMs: clock.nowMs() - startMs,
        ...(current === undefined ? {} : { current }),
        ...(total === undefined ? {} : { total }),
      });

  const inputs = await gatherInputs(options, runner, progress);
  const root = guestCacheDir(options.cacheDir);
  const dir = join(root, inputs.key);
  const cached = options.force ? undefined : loadCached(dir, inputs.key, startMs, clock);
  if (cached) {
    progress("guest: inputs")(`cached image ${inputs.key}`);
    return cached;
  }

  const work = join(root, `.build-${process.pid}-${randomUUID().slice(0, 8)}`);
  try {
    const kernel = await extractKernel(runner, inputs, join(work, "deb"), progress("guest: extract"));
    const modulesReport = progress("guest: modules");
    modulesReport("reading module metadata");
    const order = resolveLoadOrder(await scanModuleTree(kernel.modulesRoot), NVME_DRIVER_MODULES);
    modulesReport(`load order: ${order.map((m) => m.name).join(" ")}`);

    const initramfsReport = progress("guest: initramfs");
    const unpacked = await assembleInitramfs(inputs.programs, kernel, order, initramfsReport);
    initramfsReport(`compressing ${unpacked.length} bytes`);
    const compressed = gzipSync(unpacked);

    const staging = join(work, "image");
    await mkdir(staging, { recursive: true });
    const kernelBytes = await readFile(kernel.vmlinuz);
    await writeFile(join(staging, KERNEL_FILE), kernelBytes);
    await writeFile(join(staging, INITRAMFS_FILE), compressed);
    const manifest: GuestManifest = {
      formatVersion: GUEST_FORMAT_VERSION,
      key: inputs.key,
      kernelPackage: inputs.kernelPackage,
      kernelDeb: basename(inputs.kernelDeb),
      kernelRelease: kernel.release,
      modules: order.map((m) => m.name),
      hostPackages: inputs.hostPackages,
      kernelBytes: kernelBytes.length,
      initramfsBytes: compressed.length,
      initramfsUnpackedBytes: unpacked.length,
      buildMs: Math.round(clock.nowMs() - startMs),
      builtAt: new Date().toISOString(),
    };
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    if (options.force) await rm(dir, { recursive: true, force: true });
    // Another process may have stored the same key meanwhile: its image is as good as ours.
    if (!existsSync(dir)) await rename(staging, dir).catch(() => undefined);
    const built = loadCached(dir, inputs.key, startMs, clock);
    if (!built) throw new GuestBuildError("cache", `could not store the image in ${dir}`);
    pruneGuestImages(root, inputs.key);
    initramfsReport(`built image ${inputs.key} (${compressed.length} bytes initramfs)`);
    return { ...built, cached: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
