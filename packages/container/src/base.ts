/**
 * The `debian:bookworm` the Dockerfile starts FROM, for engines that cannot pull: debootstrap
 * --variant=minbase from the Debian archive apt already uses (read from apt's configuration at run
 * time), `docker import`ed and tagged debian:bookworm. The rootfs tarball is cached under
 * <cache>/docker-base/<key>.tar. An engine that already has debian:bookworm (pulled) skips all of it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { type CommandRunner, runChecked, runCommand } from "@bplab/node-kit";
import { aptEnvironment, cacheRoot, parseDeb822, readDebianMirror } from "@bplab/qemu-patches";
import { dockerClient } from "./engine.js";
import { ContainerError } from "./errors.js";
import { sha256Hex } from "./hashing.js";
import type { ProgressCallback } from "./progress.js";

export const BASE_IMAGE = "debian:bookworm";
export const BASE_SUITE = "bookworm";
export const BASE_VARIANT = "minbase";
/** Where the imported rootfs is tagged first, by its key, before it becomes debian:bookworm. */
export const BASE_REPOSITORY = "bplab/debian-base";
export const DEBOOTSTRAP = "/usr/sbin/debootstrap";
/** The label that marks a base this repository made, with its key (a pulled image has none). */
export const BASE_KEY_LABEL = "org.bplab.base-key";
/** Bumped when the base recipe changes in a way the key's other inputs do not show. */
const BASE_FORMAT = 3;
const SECURITY_SUITE = `${BASE_SUITE}-security`;

export interface BaseImageOptions {
  runner?: CommandRunner;
  env?: NodeJS.ProcessEnv;
  onProgress?: ProgressCallback;
  /** Cache root; default @bplab/qemu-patches' cacheRoot(). */
  cacheDir?: string;
  /** Where apt's deb822 sources live; default /etc/apt/sources.list.d. */
  aptSourcesDir?: string;
  /** The one-line sources file; default /etc/apt/sources.list. */
  aptSourcesList?: string;
  isRoot?: boolean;
}

export interface BaseImage {
  readonly reference: string;
  /** True when this call debootstrapped or imported it. */
  readonly built: boolean;
  /** The cached rootfs tarball, when this repository made the base. */
  readonly tarball?: string;
}

/** The first `deb <uri> bookworm ...` of a one-line sources.list (options in [...] allowed). */
export function mirrorFromSourcesList(text: string, suite: string = BASE_SUITE): string | undefined {
  for (const raw of text.split("\n")) {
    const words = raw
      .replace(/#.*/, "")
      .replace(/\[[^\]]*\]/, "")
      .trim()
      .split(/\s+/);
    if (words[0] === "deb" && words[2] === suite && words[1]) return words[1];
  }
  return undefined;
}

/** The Debian archive apt uses: deb822 sources first, then /etc/apt/sources.list. */
export function debianMirror(options: BaseImageOptions = {}): string | undefined {
  const fromDeb822 = readDebianMirror(options.aptSourcesDir)?.uri;
  if (fromDeb822) return fromDeb822;
  const list = options.aptSourcesList ?? "/etc/apt/sources.list";
  return existsSync(list) ? mirrorFromSourcesList(readFileSync(list, "utf8")) : undefined;
}

/** The archive of bookworm-security apt uses (deb822 first, then sources.list), if any. */
export function securityMirror(options: BaseImageOptions = {}): string | undefined {
  const dir = options.aptSourcesDir ?? "/etc/apt/sources.list.d";
  if (existsSync(dir)) {
    for (const name of readdirSync(dir)
      .filter((n) => n.endsWith(".sources"))
      .sort()) {
      for (const stanza of parseDeb822(readFileSync(join(dir, name), "utf8"))) {
        if (stanza.Enabled?.toLowerCase() === "no") continue;
        const suites = (stanza.Suites ?? "").split(/\s+/);
        const uri = (stanza.URIs ?? "").split(/\s+/)[0];
        if (suites.includes(SECURITY_SUITE) && uri) return uri;
      }
    }
  }
  const list = options.aptSourcesList ?? "/etc/apt/sources.list";
  return existsSync(list) ? mirrorFromSourcesList(readFileSync(list, "utf8"), SECURITY_SUITE) : undefined;
}

/**
 * The base's /etc/apt/sources.list: the suites the official debian:bookworm image enables (main,
 * -updates, -security), so packages pinned from the security archive (the guest kernel) resolve.
 */
export function baseSourcesList(mirror: string, security: string | undefined): string {
  const lines = [`deb ${mirror} ${BASE_SUITE} main`, `deb ${mirror} ${BASE_SUITE}-updates main`];
  if (security) lines.push(`deb ${security} ${SECURITY_SUITE} main`);
  return `${lines.join("\n")}\n`;
}

/** The cache key of the rootfs: what debootstrap is asked for, and from where. */
export function baseKey(mirror: string, security?: string): string {
  return sha256Hex(
    JSON.stringify({ format: BASE_FORMAT, suite: BASE_SUITE, variant: BASE_VARIANT, mirror, security }),
  ).slice(0, 16);
}

export function baseCacheDir(cacheDir?: string): string {
  return join(cacheRoot(cacheDir === undefined ? {} : { cacheDir }), "docker-base");
}

/** debian:bookworm in the engine: found, or debootstrapped (cached) and imported. */
export async function ensureBaseImage(options: BaseImageOptions = {}): Promise<BaseImage> {
  const runner = options.runner ?? runCommand;
  const env = options.env ?? process.env;
  const report = (message: string, current?: number, total?: number) =>
    options.onProgress?.("base", message, current, total);
  const mirror = debianMirror(options);
  const security = securityMirror(options);
  const key = mirror === undefined ? undefined : baseKey(mirror, security);
  const present = await runner(
    dockerClient(env),
    ["image", "inspect", "--format", `{{index .Config.Labels "${BASE_KEY_LABEL}"}}`, BASE_IMAGE],
    { env },
  );
  if (present.exitCode === 0) {
    const madeBy = present.stdout.trim().replace(/^<no value>$/, "");
    // a pulled image (no label) is the real thing; ours is kept while its recipe is current
    if (madeBy === "" || madeBy === key || key === undefined) {
      report(`${BASE_IMAGE} is present${madeBy ? ` (debootstrapped, key ${madeBy})` : ""}`);
      return { reference: BASE_IMAGE, built: false };
    }
    report(`${BASE_IMAGE} was debootstrapped from an older recipe (${madeBy}): making ${key}`);
  }
  if (mirror === undefined || key === undefined) {
    throw new ContainerError(
      "CONTAINER_BASE_FAILED",
      `${BASE_IMAGE} is missing and apt's configuration names no ${BASE_SUITE} archive to debootstrap from`,
      `docker pull ${BASE_IMAGE}`,
    );
  }
  const dir = baseCacheDir(options.cacheDir);
  const tarball = join(dir, `${key}.tar`);
  if (!existsSync(tarball)) await debootstrap(mirror, security, tarball, dir, runner, env, options, report);
  else report(`cached rootfs ${tarball}`);
  const keyed = `${BASE_REPOSITORY}:${key}`;
  report(`docker import ${tarball}`);
  await runChecked(
    runner,
    dockerClient(env),
    ["import", "--change", `LABEL ${BASE_KEY_LABEL}=${key}`, tarball, keyed],
    { env },
  );
  await runChecked(runner, dockerClient(env), ["tag", keyed, BASE_IMAGE], { env });
  report(`${BASE_IMAGE} = ${keyed}`);
  return { reference: BASE_IMAGE, built: true, tarball };
}

/** Emptied before the rootfs is tarred (lists: every file; archives: the .debs). */
export const BASE_EMPTIED_DIRS = ["var/lib/apt/lists", "var/cache/apt/archives"];

/** Like the official image: no package lists (~50 MB) and no downloaded .debs in the base layer. */
export function emptyAptCaches(rootfs: string): void {
  const [lists, archives] = BASE_EMPTIED_DIRS.map((dir) => join(rootfs, dir));
  for (const [dir, drop] of [
    [lists, () => true],
    [archives, (name: string) => name.endsWith(".deb")],
  ] as const) {
    if (!dir || !existsSync(dir)) continue;
    for (const name of readdirSync(dir))
      if (drop(name)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Debootstrap phases in the order debootstrap prints them, for a coarse progress bar. */
const DEBOOTSTRAP_PHASES = [
  "Retrieving Release",
  "Retrieving Packages",
  "Retrieving",
  "Extracting",
  "Installing",
  "Configuring",
  "Base system installed",
];

async function debootstrap(
  mirror: string,
  security: string | undefined,
  tarball: string,
  dir: string,
  runner: CommandRunner,
  env: NodeJS.ProcessEnv,
  options: BaseImageOptions,
  report: (message: string, current?: number, total?: number) => void,
): Promise<void> {
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (!isRoot || !existsSync(DEBOOTSTRAP)) {
    throw new ContainerError(
      "CONTAINER_BASE_FAILED",
      `${BASE_IMAGE} is missing; making it needs ${isRoot ? "" : "root and "}${DEBOOTSTRAP}`,
      isRoot ? "apt-get install -y debootstrap" : `docker pull ${BASE_IMAGE}, or run bplab lab image as root`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const work = await mkdtemp(join(dir, ".build-"));
  try {
    const rootfs = join(work, "rootfs");
    let phase = 0;
    report(`debootstrap --variant=${BASE_VARIANT} ${BASE_SUITE}`, 0, DEBOOTSTRAP_PHASES.length);
    await runChecked(runner, DEBOOTSTRAP, [`--variant=${BASE_VARIANT}`, BASE_SUITE, rootfs, mirror], {
      env: aptEnvironment(env),
      failureCode: "CONTAINER_BASE_FAILED",
      onLine: (line) => {
        const at = DEBOOTSTRAP_PHASES.findIndex((name) => line.startsWith(`I: ${name}`));
        if (at >= phase) phase = at;
        // debootstrap's lines name the archive: only its verb and the package go to the bar
        if (line.startsWith("I: "))
          report(line.slice(3).replace(/\S+:\/\/\S+/g, "<mirror>"), phase + 1, DEBOOTSTRAP_PHASES.length);
      },
    });
    writeFileSync(join(rootfs, "etc/apt/sources.list"), baseSourcesList(mirror, security));
    emptyAptCaches(rootfs);
    report("tar the rootfs");
    const partial = join(work, "rootfs.tar");
    await runChecked(runner, "tar", ["--numeric-owner", "-C", rootfs, "-cf", partial, "."], { env });
    renameSync(partial, tarball);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
