/**
 * What the guest builder takes from the host: Debian packages through apt (`apt-get download` for
 * the kernel, `apt-get install` for nvme-cli and busybox-static), `dpkg-deb -x`, and `ldd` to
 * find nvme-cli's shared libraries. Commands run through an injected runner so tests can fake
 * them. No mirror URL is ever needed: apt uses the machine's own sources.
 */
import { existsSync, readdirSync } from "node:fs";
import {
  type CommandRunner,
  type RunOptions,
  type RunResult,
  runChecked as runCheckedWithCode,
} from "@bplab/node-kit";
import { GuestBuildError, HostUnsupportedError } from "./errors.js";

export type { CommandRunner } from "@bplab/node-kit";
export { runCommand } from "@bplab/node-kit";
/** What a command left behind: exit code, stdout, stderr and the last lines (node-kit's RunResult). */
export type CommandResult = RunResult;
export type CommandOptions = RunOptions;

/** How long apt may wait for another apt/dpkg (another engineer's install) to release its lock. */
const DPKG_LOCK_TIMEOUT_S = 900;

/**
 * apt prints the mirror it fetches from ("Get:1 http://..."); progress shows the line without the
 * URL so no mirror host ends up in a log.
 */
export function withoutUrls(line: string): string {
  return line.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, "<mirror>");
}

/** Runs a command; throws CommandFailedError (LAB_COMMAND_FAILED) unless it exits with 0. */
export function runChecked(
  runner: CommandRunner,
  command: string,
  args: readonly string[],
  options?: CommandOptions,
): Promise<CommandResult> {
  return runCheckedWithCode(runner, command, args, { ...options, failureCode: "LAB_COMMAND_FAILED" });
}

export interface HostFacts {
  readonly isLinux: boolean;
  readonly isX64: boolean;
  readonly isDebian: boolean;
  readonly isRoot: boolean;
}

export function detectHostFacts(): HostFacts {
  return {
    isLinux: process.platform === "linux",
    isX64: process.arch === "x64",
    isDebian: existsSync("/etc/debian_version"),
    isRoot: process.getuid?.() === 0,
  };
}

/** Why this machine cannot build the guest at all (empty when it can). */
export function hostBlockers(facts: HostFacts): string[] {
  const reasons: string[] = [];
  if (!facts.isLinux) reasons.push("not Linux");
  if (!facts.isX64) reasons.push("not x86-64 (the guest kernel is Debian's amd64 one)");
  if (!facts.isDebian) reasons.push("not Debian (the guest is assembled from Debian packages via apt)");
  return reasons;
}

/** The installed version of a Debian package, or undefined when it is not installed. */
export async function installedVersion(runner: CommandRunner, pkg: string): Promise<string | undefined> {
  // dpkg-query's own ${Field} syntax, not a JavaScript template.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query format, passed as is
  const result = await runner("dpkg-query", ["-W", "-f=${Status}\t${Version}", pkg]);
  if (result.exitCode !== 0) return undefined;
  const [status, version] = result.stdout.split("\t");
  return status === "install ok installed" && version ? version : undefined;
}

/** Installs the packages that are missing (as root), or says why it cannot. */
export async function ensureHostPackages(
  runner: CommandRunner,
  packages: readonly string[],
  facts: HostFacts,
  onLine?: (line: string) => void,
): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  const missing: string[] = [];
  for (const pkg of packages) {
    const version = await installedVersion(runner, pkg);
    if (version) versions[pkg] = version;
    else missing.push(pkg);
  }
  if (missing.length === 0) return versions;
  if (!facts.isRoot) {
    throw new HostUnsupportedError([
      `not root and missing Debian packages: ${missing.join(", ")} (apt-get install ${missing.join(" ")})`,
    ]);
  }
  await runChecked(
    runner,
    "apt-get",
    [`-oDPkg::Lock::Timeout=${DPKG_LOCK_TIMEOUT_S}`, "install", "-y", "--no-install-recommends", ...missing],
    // blank lines carry no progress
    onLine ? { onLine: (line) => line.trim() && onLine(withoutUrls(line)) } : undefined,
  );
  for (const pkg of missing) {
    const version = await installedVersion(runner, pkg);
    if (!version) throw new GuestBuildError("host packages", `${pkg} is still not installed after apt-get`);
    versions[pkg] = version;
  }
  return versions;
}

/** The candidate version apt would fetch for `pkg`, or undefined when apt does not know it. */
export async function candidateVersion(runner: CommandRunner, pkg: string): Promise<string | undefined> {
  const result = await runner("apt-cache", ["policy", pkg]);
  const match = /^\s*Candidate:\s*(\S+)/m.exec(result.stdout);
  return match?.[1] && match[1] !== "(none)" ? match[1] : undefined;
}

/** The newest package whose name matches `pattern` (an apt-cache regular expression). */
export async function newestPackageMatching(
  runner: CommandRunner,
  pattern: string,
): Promise<string | undefined> {
  const result = await runner("apt-cache", ["search", "--names-only", pattern]);
  const names = result.stdout
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter(Boolean);
  return names.sort((a, b) => a.localeCompare(b, "en", { numeric: true })).pop();
}

/** A .deb of `pkg` already in `dir` (from an earlier `apt-get download`). */
export function findDownloadedDeb(dir: string, pkg: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir)
    .filter((name) => name.startsWith(`${pkg}_`) && name.endsWith(".deb"))
    .sort()
    .pop();
}

/**
 * `ldd` output → the absolute paths of every shared object the binary loads, the dynamic loader
 * included; the vDSO has no file and is skipped. A "not found" library is an error.
 */
export function parseLddOutput(text: string, binary = "binary"): string[] {
  const paths: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    if (/=>\s*not found/.test(line)) {
      throw new GuestBuildError("shared libraries", `${binary}: ${line.split(/\s/)[0]} not found`);
    }
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^(\/\S+)/.exec(line);
    if (match?.[1]) paths.push(match[1]);
  }
  return paths;
}

export async function sharedLibraries(runner: CommandRunner, binary: string): Promise<string[]> {
  const result = await runChecked(runner, "ldd", [binary]);
  return parseLddOutput(result.stdout, binary);
}
