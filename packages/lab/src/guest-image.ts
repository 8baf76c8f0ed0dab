/**
 * Builds the guest: Debian's kernel (from `apt-get download linux-image-...`) and an initramfs
 * with busybox-static, nvme-cli and its shared libraries (taken from the installed system), the
 * NVMe driver modules in load order, and the /init of guest-init.ts. The result is cached under
 * <cache>/guest/<key>/, where the key hashes every input, so a repeat run only hashes files.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
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
} from "./host-system.js";
import { NVME_DRIVER_MODULES, resolveLoadOrder, scanModuleTree } from "./kernel-modules.js";

/** Bump when the image layout or /init changes in a way the other inputs do not capture. */
export const GUEST_FORMAT_VERSION = 1;
/** The kernel the lab was measured with (Debian 12, Linux 6.1.192); override with BPLAB_GUEST_KERNEL. */
export const DEFAULT_KERNEL_PACKAGE = "linux-image-6.1.0-56-amd64";
export const KERNEL_PACKAGE_ENV = "BPLAB_GUEST_KERNEL";
/** Used when apt no longer offers the pinned kernel: the newest Debian 12 6.1 kernel it does. */
const KERNEL_FALLBACK_PATTERN = "^linux-image-6\\.1\\.0-[0-9]+-amd64$";
/** Debian packages the guest takes its programs from (installed on the host). */
export const HOST_PACKAGES: readonly string[] = Object.freeze(["busybox-static", "nvme-cli"]);
export const BUSYBOX_PATH = "/bin/busybox";
export const NVME_CLI_PATH = "/usr/sbin/nvme";
/** Older image directories kept next to the current one. */
export const KEEP_OLDER_IMAGES = 1;
const KEY_HEX_DIGITS = 16;
const MANIFEST = "guest.json";
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

async function downloadKernel(runner: CommandRunner, pkg: string, dir: string, report: (m: string) => void) {
  await mkdir(dir, { recursive: true });
  let deb = findDownloadedDeb(dir, pkg);
  if (!deb) {
    report(`apt-get download ${pkg}`);
    await runChecked(runner, "apt-get", ["download", pkg], { cwd: dir, onLine: report });
    deb = findDownloadedDeb(dir, pkg);
    if (!deb) throw new GuestBuildError("kernel", `apt-get download ${pkg} left no .deb in ${dir}`);
  }
  return join(dir, deb);
}

/** Builds (or finds in the cache) the guest kernel and initramfs. */
export async function buildGuestImage(options: GuestImageOptions = {}): Promise<GuestImage> {
  const clock = options.clock ?? systemClock;
  const runner = options.runner ?? runCommand;
  const startMs = clock.nowMs();
  const progress = (phase: string) => (message: string, current?: number, total?: number) =>
    options.onProgress?.({
      phase,
      message,
      elapsedMs: clock.nowMs() - startMs,
      ...(current === undefined ? {} : { current }),
      ...(total === undefined ? {} : { total }),
    });

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
  const libraries = await sharedLibraries(runner, NVME_CLI_PATH);
  const programFiles = [BUSYBOX_PATH, NVME_CLI_PATH, ...libraries];
  hashReport(`hashing the kernel package and ${programFiles.length} programs and libraries`);
  const contents = new Map<string, Uint8Array>();
  for (const path of programFiles) contents.set(path, await readFile(realpathSync(path)));
  const moduleRoots = [...NVME_DRIVER_MODULES];
  const key = guestImageKey({
    kernelDebSha256: sha256(await readFile(kernelDeb)),
    files: [...contents].map(([path, data]) => [path, sha256(data)] as const),
    init: guestInit("<release>"),
    library: GUEST_LIBRARY,
    moduleRoots,
  });
  const root = guestCacheDir(options.cacheDir);
  const dir = join(root, key);
  const cached = options.force ? undefined : loadCached(dir, key, startMs, clock);
  if (cached) {
    hashReport(`cached image ${key}`);
    return cached;
  }

  const work = join(root, `.build-${process.pid}-${randomUUID().slice(0, 8)}`);
  try {
    const extractReport = progress("guest: extract");
    const extracted = join(work, "deb");
    await mkdir(extracted, { recursive: true });
    extractReport(`dpkg-deb -x ${kernelDeb.split("/").pop()}`);
    await runChecked(runner, "dpkg-deb", ["-x", kernelDeb, extracted]);
    const releases = existsSync(join(extracted, "lib/modules"))
      ? readdirSync(join(extracted, "lib/modules"))
      : [];
    const kernelRelease = releases[0];
    if (releases.length !== 1 || !kernelRelease) {
      throw new GuestBuildError(
        "extract",
        `expected one lib/modules/<release> in ${kernelPackage}, found ${releases.length}`,
      );
    }
    const vmlinuz = join(extracted, "boot", `vmlinuz-${kernelRelease}`);
    if (!existsSync(vmlinuz))
      throw new GuestBuildError("extract", `${kernelPackage} has no boot/vmlinuz-${kernelRelease}`);

    const modulesReport = progress("guest: modules");
    modulesReport("reading module metadata");
    const modulesRoot = join(extracted, "lib/modules", kernelRelease);
    const order = resolveLoadOrder(await scanModuleTree(modulesRoot), moduleRoots);
    modulesReport(`load order: ${order.map((m) => m.name).join(" ")}`);

    const initramfsReport = progress("guest: initramfs");
    const archive = new CpioBuilder();
    for (const name of ["proc", "sys", "dev", "tmp"]) archive.directory(name);
    const files = [...contents];
    files.forEach(([path, data], index) => {
      archive.file(path, data, EXECUTABLE_FILE_MODE);
      initramfsReport(path, index + 1, files.length + order.length);
    });
    for (const [index, module] of order.entries()) {
      const modulePath = `lib/modules/${kernelRelease}/${module.file}`;
      archive.file(modulePath, await readFile(join(modulesRoot, module.file)));
      initramfsReport(modulePath, files.length + index + 1, files.length + order.length);
    }
    archive.file(GuestPath.moduleList, new TextEncoder().encode(`${order.map((m) => m.file).join("\n")}\n`));
    archive.file(GuestPath.library, new TextEncoder().encode(GUEST_LIBRARY));
    archive.file(GuestPath.init, new TextEncoder().encode(guestInit(kernelRelease)), EXECUTABLE_FILE_MODE);
    const unpacked = archive.encode();
    initramfsReport(`compressing ${unpacked.length} bytes`);
    const compressed = gzipSync(unpacked);

    const staging = join(work, "image");
    await mkdir(staging, { recursive: true });
    const kernelBytes = await readFile(vmlinuz);
    await writeFile(join(staging, KERNEL_FILE), kernelBytes);
    await writeFile(join(staging, INITRAMFS_FILE), compressed);
    const manifest: GuestManifest = {
      formatVersion: GUEST_FORMAT_VERSION,
      key,
      kernelPackage,
      kernelDeb: kernelDeb.split("/").pop() ?? kernelDeb,
      kernelRelease,
      modules: order.map((m) => m.name),
      hostPackages,
      kernelBytes: kernelBytes.length,
      initramfsBytes: compressed.length,
      initramfsUnpackedBytes: unpacked.length,
      buildMs: Math.round(clock.nowMs() - startMs),
      builtAt: new Date().toISOString(),
    };
    await writeFile(join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    // Another process may have built the same key meanwhile: its image is as good as ours.
    if (!existsSync(dir)) await rename(staging, dir).catch(() => undefined);
    const built = loadCached(dir, key, startMs, clock);
    if (!built) throw new GuestBuildError("cache", `could not store the image in ${dir}`);
    pruneGuestImages(root, key);
    initramfsReport(`built image ${key} (${compressed.length} bytes initramfs)`);
    return { ...built, cached: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
