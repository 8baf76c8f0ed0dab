/**
 * The lab image's build context, assembled under <cache>/docker-context/ from a repository
 * checkout:
 *   Dockerfile                 docker/Dockerfile
 *   qemu/recipe.json           @bplab/qemu-patches' qemuBuildRecipe() (the host build's flags)
 *   qemu/build-qemu.sh         docker/qemu/build-qemu.sh
 *   qemu/patches/*.patch       the series
 *   qemu/<orig tarball>        the pinned tarball the host build downloads (sha256 checked twice)
 *   runtime/apt-packages.txt   RUNTIME_APT_PACKAGES
 *   assets/guest-dl/<deb>      the kernel .deb @bplab/lab downloaded on the host (the image
 *                              assembles its initramfs from it with @bplab/lab's own code)
 *   assets/firmware/<key>/     the EFI app @bplab/firmware built on the host
 *   node/node                  this Node binary (its major must be the pinned one)
 *   app/                       `pnpm deploy --prod` of @bplab/cli (the built TS packages)
 * and the content hash over all of it, which names the image.
 */
import {
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildEfiApp, ensureFirmwareHostTools } from "@bplab/firmware";
import { buildGuestImage, detectHostFacts, guestDownloadDir } from "@bplab/lab";
import { type CommandRunner, runChecked, runCommand } from "@bplab/node-kit";
import { pins } from "@bplab/pins";
import { cacheRoot, fetchSource, qemuBuildRecipe, SOURCE_ENV } from "@bplab/qemu-patches";
import { ContainerError } from "./errors.js";
import { type ContextEntry, contentHash, listContext } from "./hashing.js";
import type { ProgressCallback } from "./progress.js";

/** Debian packages of the runtime stage: QEMU's libraries and firmware, the lab's tools, no compiler. */
export const RUNTIME_APT_PACKAGES = [
  // what the patched qemu-system-x86_64 links against, and the firmware it loads
  "libglib2.0-0",
  "libpixman-1-0",
  "zlib1g",
  "libslirp0",
  "seabios",
  "ipxe-qemu",
  "qemu-system-data",
  // the firmware lab: OVMF, the ESP tools, gnu-efi's files (hashed into the EFI app's cache key)
  pins.ovmf.debianPackage,
  "mtools",
  "dosfstools",
  pins.gnuEfi.debianPackage,
  // the guest image's inputs (@bplab/lab hashes them to find its cached image)
  pins.nvmeCli.debianPackage,
  "busybox-static",
  "cpio",
  // setpriv (node-kit's dieWithParent), ps
  "util-linux",
  "procps",
] as const;

/** The repository checkout this module runs from (packages/container/dist -> the root). */
export function defaultRepoRoot(): string {
  return fileURLToPath(new URL("../../../", import.meta.url));
}

export interface ContextOptions {
  repoRoot?: string;
  /** Cache root; default @bplab/qemu-patches' cacheRoot(). */
  cacheDir?: string;
  runner?: CommandRunner;
  env?: NodeJS.ProcessEnv;
  onProgress?: ProgressCallback;
}

export interface BuildContext {
  readonly dir: string;
  readonly entries: readonly ContextEntry[];
  /** contentHash(entries): the tag of the image built from it. */
  readonly hash: string;
}

export function contextDir(cacheDir?: string): string {
  return join(cacheRoot(cacheDir === undefined ? {} : { cacheDir }), "docker-context");
}

function need(path: string, what: string, fix: string): string {
  if (!existsSync(path))
    throw new ContainerError("CONTAINER_CONTEXT_FAILED", `${what} is missing: ${path}`, fix);
  return path;
}

/** Hard link when the cache and the context share a file system (the tarball is 100+ MB). */
function linkOrCopy(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch {
    copyFileSync(from, to);
  }
}

/**
 * Drops what pnpm writes for the machine it deployed on: `.bin` shims hold absolute paths of the
 * context directory (wrong inside the image) and `.modules.yaml` a timestamp (it would change the
 * content hash on every run). Neither is needed to run `bplab`.
 */
export function pruneDeploy(dir: string): void {
  const walk = (at: string): void => {
    for (const item of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, item.name);
      if (item.name === ".bin" && item.isDirectory()) rmSync(path, { recursive: true, force: true });
      else if (item.name === ".modules.yaml" && item.isFile()) rmSync(path, { force: true });
      else if (item.isDirectory()) walk(path);
    }
  };
  walk(dir);
}

/**
 * Imports the deployed `@bplab/cli` (and through it every package) with this Node before Docker
 * sees it: a dist/ that is half rebuilt, or older than its sources, fails here in a second
 * instead of at the end of a long image build.
 */
export async function checkDeployLoads(
  appDir: string,
  runner: CommandRunner,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const entry = join(appDir, "dist/index.js");
  const loaded = await runner(
    process.execPath,
    ["--input-type=module", "-e", `await import(${JSON.stringify(entry)});`],
    {
      env,
    },
  );
  if (loaded.exitCode !== 0) {
    throw new ContainerError(
      "CONTAINER_CONTEXT_FAILED",
      `the deployed @bplab/cli does not load (${entry}):\n${loaded.tail}`,
      "pnpm turbo run build",
    );
  }
}

/** Writes the context and hashes it. Builds what the host builds anyway (guest image, EFI app). */
export async function assembleContext(options: ContextOptions = {}): Promise<BuildContext> {
  const repoRoot = options.repoRoot ?? defaultRepoRoot();
  const runner = options.runner ?? runCommand;
  const env = options.env ?? process.env;
  const report = (message: string, current?: number, total?: number) =>
    options.onProgress?.("context", message, current, total);
  const dockerDir = join(repoRoot, "docker");
  need(join(dockerDir, "Dockerfile"), "docker/Dockerfile", "run bplab lab image from a repository checkout");
  const cliEntry = join(repoRoot, "packages/cli/dist/bin.js");
  need(cliEntry, "the built @bplab/cli", "pnpm install && pnpm turbo run build");

  const dir = contextDir(options.cacheDir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const steps = 6;
  copyFileSync(join(dockerDir, "Dockerfile"), join(dir, "Dockerfile"));

  report("QEMU recipe, series and the pinned tarball", 1, steps);
  const recipe = qemuBuildRecipe();
  const qemuDir = join(dir, "qemu");
  mkdirSync(join(qemuDir, "patches"), { recursive: true });
  writeFileSync(join(qemuDir, "recipe.json"), `${JSON.stringify(recipe, null, 2)}\n`);
  cpSync(join(dockerDir, "qemu/build-qemu.sh"), join(qemuDir, "build-qemu.sh"));
  const patchesDir = join(repoRoot, "packages/qemu-patches/patches");
  for (const name of recipe.patches) copyFileSync(join(patchesDir, name), join(qemuDir, "patches", name));
  // the Debian tarball even when BPLAB_QEMU_SRC names another source: the recipe is keyed by it
  const { [SOURCE_ENV]: _ignored, ...debianEnv } = env;
  const source = await fetchSource({
    env: debianEnv,
    runner,
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  });
  linkOrCopy(source.path, join(qemuDir, recipe.origTarball));

  report("runtime package list", 2, steps);
  mkdirSync(join(dir, "runtime"), { recursive: true });
  writeFileSync(join(dir, "runtime/apt-packages.txt"), `${RUNTIME_APT_PACKAGES.join("\n")}\n`);

  report("guest kernel package (@bplab/lab, cached)", 3, steps);
  const cacheOptions = options.cacheDir ? { cacheDir: options.cacheDir } : {};
  const guest = await buildGuestImage(cacheOptions);
  const assets = join(dir, "assets");
  // only the kernel .deb: the image builds its own initramfs from its own nvme-cli and libraries
  linkOrCopy(
    join(guestDownloadDir(options.cacheDir), guest.manifest.kernelDeb),
    join(assets, "guest-dl", guest.manifest.kernelDeb),
  );

  report("EFI app (@bplab/firmware, cached)", 4, steps);
  await ensureFirmwareHostTools(detectHostFacts(), runner, env);
  const app = await buildEfiApp(cacheOptions);
  linkOrCopy(app.path, join(assets, "firmware", app.key, basename(app.path)));

  report(`Node ${process.version}`, 5, steps);
  const major = Number(process.versions.node.split(".")[0]);
  if (major !== pins.node.major) {
    throw new ContainerError(
      "CONTAINER_CONTEXT_FAILED",
      `the image copies this Node binary, which is ${process.version}; pins.json pins Node ${pins.node.major}`,
      `run bplab lab image with Node ${pins.node.major}`,
    );
  }
  linkOrCopy(process.execPath, join(dir, "node/node"));

  report("pnpm deploy --prod @bplab/cli", 6, steps);
  await runChecked(
    runner,
    "npx",
    [
      "--yes",
      `pnpm@${pins.pnpm.version}`,
      "--filter",
      "@bplab/cli",
      "deploy",
      "--legacy",
      "--prod",
      join(dir, "app"),
    ],
    { cwd: repoRoot, env, failureCode: "CONTAINER_CONTEXT_FAILED" },
  );
  pruneDeploy(join(dir, "app"));
  await checkDeployLoads(join(dir, "app"), runner, env);
  report("hashing the context");
  const entries = await listContext(dir);
  return { dir, entries, hash: contentHash(entries) };
}
