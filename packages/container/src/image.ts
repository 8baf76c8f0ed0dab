/**
 * ensureLabImage: the bplab/lab image for the current checkout. Finds or makes the base, writes
 * the build context, and builds `bplab/lab:<content hash>` (+ `bplab/lab:latest`) unless that tag
 * exists. Docker's layer cache does the rest: a TypeScript-only change rebuilds only the last layers.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type CommandRunner, runCommand, withPidLock } from "@bplab/node-kit";
import { cacheRoot, parseNinjaProgress } from "@bplab/qemu-patches";
import { ensureBaseImage } from "./base.js";
import { assembleContext } from "./context.js";
import { dockerClient, imageSize, parseBuildStep, probeEngine } from "./engine.js";
import { ContainerError } from "./errors.js";
import type { LabImageProgress, ProgressCallback } from "./progress.js";

/** The image's repository; tags are the content hash and "latest". */
export const LAB_IMAGE_REPOSITORY = "bplab/lab";
export const LAB_IMAGE_LATEST = `${LAB_IMAGE_REPOSITORY}:latest`;

/** What the image holds and where (for callers that run it, e.g. testcontainers suites). */
export const LAB_IMAGE = {
  repository: LAB_IMAGE_REPOSITORY,
  latest: LAB_IMAGE_LATEST,
  user: "lab",
  uid: 1000,
  gid: 1000,
  home: "/home/lab",
  /** BPLAB_CACHE_DIR inside the image: the patched QEMU, guest image and EFI app (owned by lab). */
  cacheDir: "/opt/bplab/cache",
  /** The `pnpm deploy` of @bplab/cli; every @bplab package is under node_modules/@bplab/. */
  appDir: "/opt/bplab/app",
  /** BPLAB_QEMU inside the image. */
  qemu: "/usr/local/bin/qemu-system-x86_64-bplab",
  bplab: "/usr/local/bin/bplab",
} as const;

export interface EnsureLabImageOptions {
  onProgress?: (event: LabImageProgress) => void;
  /** Build even when bplab/lab:<hash> exists (Docker's layer cache still applies). */
  force?: boolean;
  repoRoot?: string;
  /** Cache root; default @bplab/qemu-patches' cacheRoot(). */
  cacheDir?: string;
  runner?: CommandRunner;
  env?: NodeJS.ProcessEnv;
}

export interface LabImage {
  /** bplab/lab:<contentHash> */
  readonly tag: string;
  readonly latestTag: string;
  readonly contentHash: string;
  /** False when the tag existed and was reused. */
  readonly built: boolean;
  readonly seconds: number;
  readonly sizeBytes: number;
}

/** The pid lock that keeps two processes from building into one context directory. */
const LOCK_FILE = "docker-context.lock";

export function labImageTag(contentHash: string): string {
  return `${LAB_IMAGE_REPOSITORY}:${contentHash}`;
}

/** Where `docker build`'s output goes (the progress bar shows only the step lines). */
export function buildLogFile(cacheDir?: string): string {
  return join(cacheRoot(cacheDir === undefined ? {} : { cacheDir }), "docker-build.log");
}

export async function ensureLabImage(options: EnsureLabImageOptions = {}): Promise<LabImage> {
  const started = performance.now();
  const runner = options.runner ?? runCommand;
  const env = options.env ?? process.env;
  const progress: ProgressCallback = (phase, message, current, total) =>
    options.onProgress?.({
      phase,
      message,
      elapsedMs: performance.now() - started,
      ...(current === undefined ? {} : { current }),
      ...(total === undefined ? {} : { total }),
    });
  const shared: Shared = {
    runner,
    env,
    onProgress: progress,
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  };

  const engine = await probeEngine({ runner, env });
  if (!engine.ok) {
    throw new ContainerError(
      "CONTAINER_ENGINE_UNAVAILABLE",
      `no Docker engine: ${engine.reason}`,
      engine.fix,
    );
  }
  // One build at a time per cache: the context directory and the build log are shared, and a
  // second process would rewrite the context under the first one's `docker build`.
  const lock = join(
    cacheRoot(options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir }),
    LOCK_FILE,
  );
  mkdirSync(join(lock, ".."), { recursive: true });
  return withPidLock(lock, () => buildLocked(options, shared, progress, started), {
    whenHeld: "wait",
    onWait: (pid) =>
      progress("base", `waiting for process ${pid}, which is building the lab image (${lock})`),
  });
}

interface Shared {
  runner: CommandRunner;
  env: NodeJS.ProcessEnv;
  onProgress: ProgressCallback;
  cacheDir?: string;
}

async function buildLocked(
  options: EnsureLabImageOptions,
  shared: Shared,
  progress: ProgressCallback,
  started: number,
): Promise<LabImage> {
  const { runner, env } = shared;
  await ensureBaseImage(shared);
  const context = await assembleContext({
    ...shared,
    ...(options.repoRoot ? { repoRoot: options.repoRoot } : {}),
  });
  const tag = labImageTag(context.hash);
  const docker = dockerClient(env);
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;

  const existing = options.force ? undefined : await imageSize(tag, { runner, env });
  if (existing !== undefined) {
    await runner(docker, ["tag", tag, LAB_IMAGE_LATEST], { env });
    progress("done", `${tag} exists`);
    return {
      tag,
      latestTag: LAB_IMAGE_LATEST,
      contentHash: context.hash,
      built: false,
      seconds: seconds(),
      sizeBytes: existing,
    };
  }

  const logFile = buildLogFile(options.cacheDir);
  mkdirSync(join(logFile, ".."), { recursive: true });
  rmSync(logFile, { force: true }); // one build per log (runCommand appends)
  progress("build", `docker build ${tag} (log: ${logFile})`);
  const built = await runner(docker, ["build", "-t", tag, "-t", LAB_IMAGE_LATEST, context.dir], {
    // the legacy builder's "Step n/m" lines are the progress; BuildKit would print other lines
    env: { ...env, DOCKER_BUILDKIT: "0" },
    logFile,
    captureStdout: false,
    onLine: (line) => {
      const step = parseBuildStep(line);
      if (step) progress("build", step.what, step.current, step.total);
      // inside the QEMU step, ninja's [n/m] lines are the only sign of life for many minutes
      const ninja = parseNinjaProgress(line);
      if (ninja) progress("build", `QEMU: ${ninja.what}`, ninja.current, ninja.total);
    },
  });
  if (built.exitCode !== 0) {
    throw new ContainerError(
      "CONTAINER_BUILD_FAILED",
      `docker build of ${tag} failed (exit ${built.exitCode}); the whole output is in ${logFile}\n${built.tail}`,
    );
  }
  const sizeBytes = (await imageSize(tag, { runner, env })) ?? 0;
  progress("done", `built ${tag}`);
  return {
    tag,
    latestTag: LAB_IMAGE_LATEST,
    contentHash: context.hash,
    built: true,
    seconds: seconds(),
    sizeBytes,
  };
}
