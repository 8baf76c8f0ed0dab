/**
 * The pinned QEMU source: Debian's qemu_10.2.2+ds.orig.tar.xz through `apt-get source`, checked
 * against the sha256 recorded in pins.ts, or a tarball or git checkout the user names in
 * BPLAB_QEMU_SRC.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { aptEnvironment, ensureAptSourceFiles, readDebianMirror } from "./apt.js";
import { BadOptionError, SourceChecksumError, SourceUnavailableError } from "./errors.js";
import { downloadDir, type PathOptions } from "./paths.js";
import {
  DEBIAN_SOURCE_PACKAGE,
  DEBIAN_SOURCE_VERSION,
  ORIG_TARBALL,
  ORIG_TARBALL_POOL_PATH,
  ORIG_TARBALL_SHA256,
} from "./pins.js";
import { type CommandRunner, runCommand } from "./process.js";
import { type Clock, type ProgressListener, StepReporter } from "./progress.js";
import { sha256Hex } from "./series.js";

export const SOURCE_ENV = "BPLAB_QEMU_SRC";

export type SourceKind = "debian" | "tarball" | "checkout";

export interface QemuSource {
  readonly kind: SourceKind;
  /** The tarball, or the checkout directory. */
  readonly path: string;
  /** What the build key uses: the tarball's sha256, or the checkout's commit. */
  readonly identity: string;
  /** True when the identity matched a checksum recorded in this repository. */
  readonly verified: boolean;
}

export interface FetchSourceOptions extends PathOptions {
  /** A tarball or git checkout to use instead of Debian's tarball; default BPLAB_QEMU_SRC. */
  source?: string;
  runner?: CommandRunner;
  onProgress?: ProgressListener;
  clock?: Clock;
  /** Where apt sources live (tests point it elsewhere). */
  aptSourcesDir?: string;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

function checkoutCommit(dir: string): string {
  try {
    return execFileSync("git", ["-C", dir, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    throw new BadOptionError(
      SOURCE_ENV,
      `${dir} is a directory but not a git checkout (git rev-parse HEAD failed)`,
    );
  }
}

/** The user's override, without touching the network. */
function userSource(path: string, hashFile: (file: string) => string): QemuSource {
  const full = resolve(path);
  if (!existsSync(full)) throw new BadOptionError(SOURCE_ENV, `${full} does not exist`);
  if (statSync(full).isDirectory()) {
    return { kind: "checkout", path: full, identity: `git:${checkoutCommit(full)}`, verified: false };
  }
  const sha256 = hashFile(full);
  const verified = sha256 === ORIG_TARBALL_SHA256;
  return { kind: verified ? "debian" : "tarball", path: full, identity: sha256, verified };
}

/**
 * The source the build would use, without downloading anything (used by qemuBinaryPath to find
 * the build key). Throws when a user-named source does not exist.
 */
export function resolveSourceSync(options: FetchSourceOptions = {}): QemuSource {
  const override = options.source ?? (options.env ?? process.env)[SOURCE_ENV];
  if (override) return userSource(override, (file) => sha256Hex(readFileSync(file)));
  return {
    kind: "debian",
    path: join(downloadDir(options), ORIG_TARBALL),
    identity: ORIG_TARBALL_SHA256,
    verified: true,
  };
}

async function downloadFromPool(uri: string, target: string): Promise<void> {
  const url = `${uri.replace(/\/+$/, "")}/${ORIG_TARBALL_POOL_PATH}`;
  const response = await fetch(url);
  if (!response.ok) throw new SourceUnavailableError(`${url}: HTTP ${response.status}`);
  const partial = `${target}.partial`;
  writeFileSync(partial, new Uint8Array(await response.arrayBuffer()));
  renameSync(partial, target);
}

/**
 * Makes the QEMU source available and verified. Debian's tarball is downloaded once into the
 * cache (apt-get source, or straight from the mirror's pool when the Sources index has moved on)
 * and its sha256 is checked against the pin every time.
 */
export async function fetchSource(options: FetchSourceOptions = {}): Promise<QemuSource> {
  const reporter = new StepReporter("fetch", options.onProgress, options.clock);
  const override = options.source ?? (options.env ?? process.env)[SOURCE_ENV];
  if (override) {
    reporter.report(`using ${override} (${SOURCE_ENV})`);
    const source = userSource(override, (file) => sha256Hex(readFileSync(file)));
    reporter.report(
      source.verified
        ? "the tarball matches the pinned Debian checksum"
        : `not the pinned Debian tarball; building from ${source.identity}`,
    );
    return source;
  }
  const runner = options.runner ?? runCommand;
  const dir = downloadDir(options);
  const tarball = join(dir, ORIG_TARBALL);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(tarball)) {
    reporter.report(`apt-get source --download-only ${DEBIAN_SOURCE_PACKAGE}=${DEBIAN_SOURCE_VERSION}`);
    const mirror = readDebianMirror(options.aptSourcesDir);
    if (mirror && process.getuid?.() === 0 && ensureAptSourceFiles(mirror, options.aptSourcesDir)) {
      await runner("apt-get", ["update", "-q"], { env: aptEnvironment(process.env) });
    }
    const args = ["source", "--download-only", `${DEBIAN_SOURCE_PACKAGE}=${DEBIAN_SOURCE_VERSION}`];
    const result = await runner("apt-get", args, { cwd: dir, env: aptEnvironment(process.env) });
    if (result.exitCode !== 0 || !existsSync(tarball)) {
      if (!mirror) {
        throw new SourceUnavailableError(
          `apt-get source failed and no Debian mirror is configured to fetch ${ORIG_TARBALL} from:\n${result.tail}`,
        );
      }
      reporter.report(`apt-get source failed; fetching ${ORIG_TARBALL_POOL_PATH} from the configured mirror`);
      await downloadFromPool(mirror.uri, tarball);
    }
  }
  reporter.report(`verifying ${ORIG_TARBALL}`);
  const actual = await sha256File(tarball);
  if (actual !== ORIG_TARBALL_SHA256) {
    renameSync(tarball, `${tarball}.rejected`);
    throw new SourceChecksumError(tarball, ORIG_TARBALL_SHA256, actual);
  }
  reporter.report(`${ORIG_TARBALL} sha256 ok`);
  return { kind: "debian", path: tarball, identity: actual, verified: true };
}
