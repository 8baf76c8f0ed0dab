/**
 * The Docker engine through the `docker` client: is it there and running (probeEngine), does an
 * image exist and how big is it, and `docker build` with its step lines as progress. The client
 * may be any version; without buildx the legacy builder runs, which is all the Dockerfile needs.
 */
import { type CommandRunner, runCommand } from "@bplab/node-kit";

export interface EngineProbe {
  readonly ok: boolean;
  /** Why the engine cannot be used (when !ok). */
  readonly reason?: string;
  /** The command that fixes it (when !ok). */
  readonly fix?: string;
  /** The daemon's version (when ok). */
  readonly serverVersion?: string;
}

export interface EngineOptions {
  runner?: CommandRunner;
  env?: NodeJS.ProcessEnv;
}

/** The client binary; DOCKER_CLI overrides it (tests, podman-docker users). */
export function dockerClient(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CLI || "docker";
}

/** What the daemon start command is, depending on where the fix will be typed. */
export const START_DOCKERD = "dockerd > /var/log/dockerd.log 2>&1 & (as root; or: systemctl start docker)";
export const INSTALL_DOCKER = "apt-get install -y --no-install-recommends docker.io iptables";

/** Reads `docker version` into a probe result; exported for tests of the decision alone. */
export function interpretVersionProbe(result: {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}): EngineProbe {
  const serverVersion = result.stdout.trim();
  if (result.exitCode === 0 && serverVersion) return { ok: true, serverVersion };
  const said = `${result.stderr}\n${result.stdout}`;
  if (/ENOENT|not found|No such file/i.test(said) && !/docker\.sock/.test(said)) {
    return { ok: false, reason: "no docker client on PATH", fix: INSTALL_DOCKER };
  }
  // "permission denied ... docker.sock" names the socket too: decide it first
  if (/permission denied/i.test(said)) {
    return {
      ok: false,
      reason: "no permission to use the Docker socket",
      fix: "add yourself to the docker group (usermod -aG docker $USER) or run as root",
    };
  }
  if (/Cannot connect to the Docker daemon|docker\.sock|Is the docker daemon running/i.test(said)) {
    return {
      ok: false,
      reason: "the Docker daemon is not running (no answer on its socket)",
      fix: START_DOCKERD,
    };
  }
  const firstLine = said.trim().split("\n")[0] ?? "";
  return {
    ok: false,
    reason: `docker version failed: ${firstLine || `exit ${result.exitCode}`}`,
    fix: START_DOCKERD,
  };
}

/** Asks the daemon its version; never throws. */
export async function probeEngine(options: EngineOptions = {}): Promise<EngineProbe> {
  const runner = options.runner ?? runCommand;
  const env = options.env ?? process.env;
  const result = await runner(dockerClient(env), ["version", "--format", "{{.Server.Version}}"], { env });
  return interpretVersionProbe(result);
}

/** The image's size in bytes, or undefined when the engine does not have it. */
export async function imageSize(reference: string, options: EngineOptions = {}): Promise<number | undefined> {
  const runner = options.runner ?? runCommand;
  const env = options.env ?? process.env;
  const result = await runner(dockerClient(env), ["image", "inspect", "--format", "{{.Size}}", reference], {
    env,
  });
  if (result.exitCode !== 0) return undefined;
  const size = Number.parseInt(result.stdout.trim(), 10);
  return Number.isFinite(size) ? size : undefined;
}

/** A `Step 7/25 : RUN ...` line of the legacy builder, as progress. */
export function parseBuildStep(line: string): { current: number; total: number; what: string } | undefined {
  const match = /^Step (\d+)\/(\d+) : (.*)$/.exec(line.trim());
  if (!match) return undefined;
  return { current: Number(match[1]), total: Number(match[2]), what: (match[3] ?? "").slice(0, 120) };
}
