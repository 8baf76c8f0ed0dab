/**
 * One lab in one container: start the lab image with its own state directory (a host directory
 * bind-mounted at LAB_CONTAINER_STATE_DIR) and its own /tmp (a tmpfs), run `bplab` or any
 * command in it, collect its JSON output, then stop and remove the container. Every way out
 * (done, a failed command, a thrown error) removes the container; a test process that dies
 * before it could is covered by reapLabContainers(), which replaces testcontainers' Ryuk.
 *
 * Ryuk is off (TESTCONTAINERS_RYUK_DISABLED=true) because testcontainers starts it from an image
 * it pulls from a registry, and the lab must run where no registry can be reached (an offline
 * CI farm, this machine). The label LAB_CONTAINER_OWNER_LABEL does Ryuk's job for our containers.
 */
import { chown, mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { CodedError } from "@bplab/node-kit";
import type { StartedTestContainer } from "testcontainers";
import { type EnsureLabImageOptions, ensureLabImage, LAB_IMAGE } from "./image.js";
import { LAB_CONTAINER_HOST_LABEL, labContainerIsOrphaned, labContainerOwnerLabels } from "./owner-labels.js";

/** Where a lab container sees its own state directory (not over the image's cache directory). */
export const LAB_CONTAINER_STATE_DIR = `${LAB_IMAGE.home}/state`;
/** The container's own temp dir: a tmpfs, so no two labs share one and nothing outlives the container. */
export const LAB_CONTAINER_TMP_DIR = "/tmp";
/** Where files given to a lab land (the container's own layer: private to it, gone with it). */
export const LAB_CONTAINER_INBOX_DIR = `${LAB_IMAGE.home}/inbox`;
export {
  LAB_CONTAINER_HOST_LABEL,
  LAB_CONTAINER_OWNER_BOOT_LABEL,
  LAB_CONTAINER_OWNER_LABEL,
  LAB_CONTAINER_OWNER_PID_NAMESPACE_LABEL,
} from "./owner-labels.js";
/** Label with the host path of a state directory the lab created itself (the reaper removes it too). */
export const LAB_CONTAINER_OWNED_STATE_LABEL = "org.bplab.lab-container.owned-state-dir";
/** Label naming the lab, so `docker ps` says which state directory a container serves. */
export const LAB_CONTAINER_NAME_LABEL = "org.bplab.lab-container.name";

/** The testcontainers release this module is written and tested against. */
export const TESTCONTAINERS_VERSION = "12.0.1";
/** Ryuk needs a pulled image; see the module comment. Set before testcontainers starts anything. */
const RYUK_DISABLED_ENV = "TESTCONTAINERS_RYUK_DISABLED";

export type LabContainerErrorCode =
  | "LAB_CONTAINER_START_FAILED"
  | "LAB_CONTAINER_COMMAND_FAILED"
  | "LAB_CONTAINER_BAD_OUTPUT";

export class LabContainerError extends CodedError<LabContainerErrorCode> {}

export interface LabContainerOptions {
  /** The lab image tag (ensureLabImage().tag). */
  image: string;
  /** A name for labels and temp dirs (letters, digits, dash). Default "lab". */
  name?: string;
  /** The host directory mounted as the state directory; default a new temp dir, removed on stop. */
  stateDir?: string;
  /** Size of the container's /tmp tmpfs. Default 1g (a guest boot copies its initramfs there). */
  tmpSize?: string;
  /** Resource limits (docker's --memory in GiB, --cpus). Default: none. */
  memoryGiB?: number;
  cpus?: number;
  /** Extra environment for every command. */
  env?: Record<string, string>;
}

export interface LabCommandResult {
  readonly argv: readonly string[];
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface LabJsonResult<T = unknown> extends LabCommandResult {
  /** The parsed output: one value for a JSON document, one per line for JSON lines. */
  readonly values: readonly T[];
}

export interface LabContainer {
  readonly id: string;
  readonly name: string;
  /** The host side of the state directory. */
  readonly stateDir: string;
  exec(argv: readonly string[], env?: Record<string, string>): Promise<LabCommandResult>;
  /** `bplab <args>`, its output parsed as JSON (a document or JSON lines). */
  bplabJson<T = unknown>(args: readonly string[]): Promise<LabJsonResult<T>>;
  /**
   * Puts bytes into the container at an absolute path, owned by the lab user. Not under /tmp:
   * docker cp cannot reach into a tmpfs; use LAB_CONTAINER_INBOX_DIR.
   */
  writeFile(path: string, content: string | Uint8Array): Promise<void>;
  /** Stops and removes the container (and the state dir it created); safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Parses what a command printed as JSON: the whole text as one document, or else one document
 * per non-empty line. Output comes from inside a container: anything else is an error, never a
 * partial answer.
 */
export function parseJsonOutput<T = unknown>(text: string, what: string): T[] {
  const trimmed = text.trim();
  if (trimmed === "") throw new LabContainerError("LAB_CONTAINER_BAD_OUTPUT", `${what}: printed no JSON`);
  try {
    return [JSON.parse(trimmed) as T];
  } catch {
    // Not one document: JSON lines then.
  }
  return trimmed
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, index) => {
      try {
        return JSON.parse(line) as T;
      } catch (error) {
        throw new LabContainerError(
          "LAB_CONTAINER_BAD_OUTPUT",
          `${what}: line ${index + 1} is not JSON (${(error as Error).message}): ${line.slice(0, 200)}`,
        );
      }
    });
}

const STATE_DIR_PREFIX = "bplab-lab-";
const NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,40}$/;

/**
 * testcontainers is loaded on first use: the lab image's `pnpm deploy` of @bplab/cli carries
 * @bplab/container for `bplab lab`, and must not carry testcontainers and its Docker client.
 */
async function loadTestcontainers(): Promise<typeof import("testcontainers")> {
  process.env[RYUK_DISABLED_ENV] = "true";
  try {
    return await import("testcontainers");
  } catch (error) {
    throw new LabContainerError(
      "LAB_CONTAINER_START_FAILED",
      `lab containers need testcontainers: npm install testcontainers@${TESTCONTAINERS_VERSION} (${(error as Error).message})`,
      { cause: error },
    );
  }
}

async function ownStateDir(
  name: string,
  given: string | undefined,
): Promise<{ dir: string; owned: boolean }> {
  if (given !== undefined) return { dir: given, owned: false };
  const dir = await mkdtemp(join(tmpdir(), `${STATE_DIR_PREFIX}${name}-`));
  // The image runs as its non-root user; a root host hands the directory over to that uid.
  if (process.getuid?.() === 0) await chown(dir, LAB_IMAGE.uid, LAB_IMAGE.gid);
  return { dir, owned: true };
}

/** Starts one lab container; the caller must stop() it (withLabContainer does). */
export async function startLabContainer(options: LabContainerOptions): Promise<LabContainer> {
  const name = options.name ?? "lab";
  if (!NAME_PATTERN.test(name))
    throw new LabContainerError("LAB_CONTAINER_START_FAILED", `bad lab name ${JSON.stringify(name)}`);
  const { GenericContainer } = await loadTestcontainers();
  const state = await ownStateDir(name, options.stateDir);
  let container = new GenericContainer(options.image)
    // PID 1 waits for SIGTERM/SIGKILL; stop() kills at once, so no grace period is needed.
    .withCommand(["sleep", "infinity"])
    .withBindMounts([{ source: state.dir, target: LAB_CONTAINER_STATE_DIR, mode: "rw" }])
    .withTmpFs({ [LAB_CONTAINER_TMP_DIR]: `rw,exec,mode=1777,size=${options.tmpSize ?? "1g"}` })
    .withEnvironment({ TMPDIR: LAB_CONTAINER_TMP_DIR, ...options.env })
    .withLabels({
      ...labContainerOwnerLabels(),
      [LAB_CONTAINER_NAME_LABEL]: name,
      ...(state.owned ? { [LAB_CONTAINER_OWNED_STATE_LABEL]: state.dir } : {}),
    });
  if (options.memoryGiB !== undefined || options.cpus !== undefined)
    container = container.withResourcesQuota({
      ...(options.memoryGiB === undefined ? {} : { memory: options.memoryGiB }),
      ...(options.cpus === undefined ? {} : { cpu: options.cpus }),
    });
  let started: StartedTestContainer;
  try {
    started = await container.start();
  } catch (error) {
    if (state.owned) await rm(state.dir, { recursive: true, force: true });
    throw new LabContainerError(
      "LAB_CONTAINER_START_FAILED",
      `cannot start ${options.image}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return wrap(started, name, state.dir, state.owned, options.env ?? {});
}

function wrap(
  started: StartedTestContainer,
  name: string,
  stateDir: string,
  ownsStateDir: boolean,
  baseEnv: Record<string, string>,
): LabContainer {
  let stopped: Promise<void> | undefined;
  const exec = async (argv: readonly string[], env: Record<string, string> = {}) => {
    const result = await started.exec([...argv], { env: { ...baseEnv, ...env } });
    return { argv, exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  };
  return {
    id: started.getId(),
    name,
    stateDir,
    exec,
    async bplabJson<T>(args: readonly string[]) {
      const result = await exec(["bplab", ...args]);
      const what = `${name}: bplab ${args.join(" ")} (exit ${result.exitCode}; stderr: ${result.stderr.trim().slice(-300)})`;
      return { ...result, values: parseJsonOutput<T>(result.stdout, what) };
    },
    async writeFile(path, content) {
      if (path === LAB_CONTAINER_TMP_DIR || path.startsWith(`${LAB_CONTAINER_TMP_DIR}/`))
        // docker cp writes below a tmpfs mount, into the image layer the container cannot see.
        throw new LabContainerError("LAB_CONTAINER_COMMAND_FAILED", `writeFile: ${path} is on the tmpfs`);
      await started.copyContentToContainer([
        { content: typeof content === "string" ? content : Buffer.from(content), target: path, mode: 0o644 },
      ]);
      // docker cp writes as root; the lab user must be able to read (and replace) what it is given.
      const owner = `${LAB_IMAGE.uid}:${LAB_IMAGE.gid}`;
      const chowned = await started.exec(["chown", owner, path], { user: "root" });
      if (chowned.exitCode !== 0)
        throw new LabContainerError(
          "LAB_CONTAINER_COMMAND_FAILED",
          `chown ${path}: ${chowned.output.trim()}`,
        );
    },
    stop() {
      stopped ??= (async () => {
        try {
          await started.stop({ remove: true, removeVolumes: true, timeout: 0 });
        } finally {
          if (ownsStateDir) await rm(stateDir, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
}

/** Names an existing lab image to use instead of building one (e.g. one pulled from your registry). */
export const LAB_IMAGE_ENV = "BPLAB_LAB_IMAGE";

/** The image lab containers start from: $BPLAB_LAB_IMAGE when set, else ensureLabImage()'s tag. */
export async function labContainerImage(
  options: Pick<EnsureLabImageOptions, "onProgress"> = {},
): Promise<{ tag: string; how: string }> {
  const given = process.env[LAB_IMAGE_ENV];
  if (given) return { tag: given, how: `from ${LAB_IMAGE_ENV}` };
  const image = await ensureLabImage(options);
  return { tag: image.tag, how: image.built ? `built in ${Math.round(image.seconds)} s` : "reused" };
}

/** Runs `body` with a started lab container and always stops and removes it afterwards. */
export async function withLabContainer<T>(
  options: LabContainerOptions,
  body: (lab: LabContainer) => Promise<T>,
): Promise<T> {
  const lab = await startLabContainer(options);
  try {
    return await body(lab);
  } finally {
    await lab.stop();
  }
}

/** Starts a lab, runs one `bplab` command with JSON output in it, collects it, removes the lab. */
export function runLabCommand<T = unknown>(
  options: LabContainerOptions,
  args: readonly string[],
): Promise<LabJsonResult<T>> {
  return withLabContainer(options, (lab) => lab.bplabJson<T>(args));
}

/**
 * Removes the lab containers whose owner process is gone (a test worker killed before its
 * clean-up ran), and the state directories they had created. An owner in another PID namespace
 * (a test process in another container sharing the engine) cannot be checked and is left alone. Ryuk would do this; it is off (see the module comment). Returns their ids.
 */
export async function reapLabContainers(): Promise<string[]> {
  const { getContainerRuntimeClient } = await loadTestcontainers();
  const client = await getContainerRuntimeClient();
  // Stopped ones too (all: true): a container whose removal was cut short is stopped, not gone.
  const containers = await client.container.dockerode.listContainers({
    all: true,
    filters: { label: [`${LAB_CONTAINER_HOST_LABEL}=${hostname()}`] },
  });
  const reaped: string[] = [];
  for (const info of containers) {
    if (!labContainerIsOrphaned(info.Labels ?? {})) continue;
    await client.container.getById(info.Id).remove({ force: true, v: true });
    const ownedState = info.Labels?.[LAB_CONTAINER_OWNED_STATE_LABEL];
    // Only a directory this module made (a bplab-lab-* temp dir), never one a caller passed in.
    if (ownedState && basename(ownedState).startsWith(STATE_DIR_PREFIX))
      await rm(ownedState, { recursive: true, force: true });
    reaped.push(info.Id);
  }
  return reaped;
}
