/**
 * The Debian side of the build: which apt sources the build needs (derived from the machine's own
 * /etc/apt/sources.list.d/*.sources, so no mirror host is ever written down here) and installing
 * the build dependencies when they are missing.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MissingDependenciesError } from "./errors.js";
import { APT_PACKAGES, BACKPORTS_PACKAGES, DEBIAN_BACKPORTS_SUITE, DEBIAN_SOURCE_SUITE } from "./pins.js";
import { type CommandRunner, runChecked } from "./process.js";
import type { StepReporter } from "./progress.js";

/** The directories Debian installs system programs into, in the order a root login shell has them. */
export const SYSTEM_PATH_DIRS = [
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
] as const;

/**
 * The environment to run apt-get in: non-interactive, and with the system directories first on
 * PATH. apt's download methods drop to the unprivileged `_apt` user and look up helpers such as
 * `gpgv` through the caller's PATH; a PATH entry `_apt` cannot enter (a root-only 0700 directory,
 * as CI-like wrappers make) hides `gpgv`, and `apt-get update` then fails with "gpgv, gpgv2 or
 * gpgv1 required for verification, but neither seems installed" although it is installed.
 */
export function aptEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const rest = (env.PATH ?? "")
    .split(":")
    .filter((dir) => dir !== "" && !SYSTEM_PATH_DIRS.some((s) => s === dir));
  return { ...env, DEBIAN_FRONTEND: "noninteractive", PATH: [...SYSTEM_PATH_DIRS, ...rest].join(":") };
}

/** One stanza of a deb822 .sources file; field names are kept as written. */
export type Deb822Stanza = Readonly<Record<string, string>>;

/** Parses deb822 text: stanzas separated by blank lines, `Field: value`, comments with '#'. */
export function parseDeb822(text: string): Deb822Stanza[] {
  const stanzas: Deb822Stanza[] = [];
  let current: Record<string, string> = {};
  let lastField: string | undefined;
  const flush = () => {
    if (Object.keys(current).length > 0) stanzas.push(current);
    current = {};
    lastField = undefined;
  };
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === "") {
      flush();
      continue;
    }
    if (raw.startsWith("#")) continue;
    if (/^\s/.test(raw) && lastField) {
      current[lastField] = `${current[lastField]}\n${raw.trim()}`;
      continue;
    }
    const colon = raw.indexOf(":");
    if (colon <= 0) continue;
    lastField = raw.slice(0, colon).trim();
    current[lastField] = raw.slice(colon + 1).trim();
  }
  flush();
  return stanzas;
}

const words = (value: string | undefined) => (value ?? "").split(/\s+/).filter(Boolean);

/** The mirror and keyring of the machine's Debian 12 (bookworm) main archive. */
export interface DebianMirror {
  readonly uri: string;
  readonly signedBy?: string;
}

/** Picks the stanza that serves the bookworm main archive (not security, not updates-only). */
export function findDebianMirror(stanzas: readonly Deb822Stanza[]): DebianMirror | undefined {
  for (const stanza of stanzas) {
    if (stanza.Enabled?.toLowerCase() === "no") continue;
    if (!words(stanza.Types).includes("deb")) continue;
    if (!words(stanza.Suites).includes("bookworm")) continue;
    const uri = words(stanza.URIs)[0];
    if (!uri) continue;
    return { uri, ...(stanza["Signed-By"] ? { signedBy: stanza["Signed-By"] } : {}) };
  }
  return undefined;
}

export interface AptSourceFile {
  readonly name: string;
  readonly contents: string;
}

function stanzaText(fields: Record<string, string | undefined>): string {
  return `${Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([field, value]) => `${field}: ${value}`)
    .join("\n")}\n`;
}

/**
 * The two entries the build adds: bookworm-backports (meson >= 1.5) and a deb-src entry for the
 * suite whose Sources index has qemu 10.2.2. Both reuse the machine's mirror and keyring.
 */
export function buildAptSourceFiles(mirror: DebianMirror): AptSourceFile[] {
  return [
    {
      name: "bplab-bookworm-backports.sources",
      contents: stanzaText({
        Types: "deb",
        URIs: mirror.uri,
        Suites: DEBIAN_BACKPORTS_SUITE,
        Components: "main",
        "Signed-By": mirror.signedBy,
      }),
    },
    {
      name: `bplab-${DEBIAN_SOURCE_SUITE}-src.sources`,
      contents: stanzaText({
        Types: "deb-src",
        URIs: mirror.uri,
        Suites: DEBIAN_SOURCE_SUITE,
        Components: "main",
        "Signed-By": mirror.signedBy,
      }),
    },
  ];
}

export const APT_SOURCES_DIR = "/etc/apt/sources.list.d";

export function readDebianMirror(sourcesDir = APT_SOURCES_DIR): DebianMirror | undefined {
  if (!existsSync(sourcesDir)) return undefined;
  const stanzas = readdirSync(sourcesDir)
    .filter((name) => name.endsWith(".sources") && !name.startsWith("bplab-"))
    .sort()
    .flatMap((name) => parseDeb822(readFileSync(join(sourcesDir, name), "utf8")));
  return findDebianMirror(stanzas);
}

/** Writes the entries that are missing or differ; returns whether anything changed. */
export function ensureAptSourceFiles(mirror: DebianMirror, sourcesDir = APT_SOURCES_DIR): boolean {
  let changed = false;
  for (const file of buildAptSourceFiles(mirror)) {
    const path = join(sourcesDir, file.name);
    if (existsSync(path) && readFileSync(path, "utf8") === file.contents) continue;
    writeFileSync(path, file.contents);
    changed = true;
  }
  return changed;
}

export interface HostFacts {
  readonly isRoot: boolean;
  readonly isDebian: boolean;
  /** Tools from REQUIRED_TOOLS that are not on PATH. */
  readonly missingTools: readonly string[];
}

export interface DependencyOptions {
  runner: CommandRunner;
  reporter: StepReporter;
  host: HostFacts;
  env: NodeJS.ProcessEnv;
  sourcesDir?: string;
}

/** Packages of `wanted` that dpkg does not report as installed. */
export async function missingPackages(runner: CommandRunner, wanted: readonly string[]): Promise<string[]> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own ${field} syntax
  const format = "-f=${Package} ${db:Status-Status}\\n";
  const result = await runner("dpkg-query", ["-W", format, ...wanted], {
    captureStdout: true,
  });
  const installed = new Set(
    result.stdout
      .split("\n")
      .map((line) => line.trim().split(" "))
      .filter(([, status]) => status === "installed")
      .map(([name]) => name),
  );
  return wanted.filter((name) => !installed.has(name));
}

/**
 * Makes sure every build dependency is there: as root on Debian, installs what is missing
 * (adding the backports and deb-src entries first); otherwise only checks, and throws
 * MissingDependenciesError naming what is missing.
 */
export async function ensureBuildDependencies(options: DependencyOptions): Promise<void> {
  const { runner, reporter, host } = options;
  if (!host.isDebian || !host.isRoot) {
    if (host.missingTools.length === 0) return;
    throw new MissingDependenciesError(
      host.missingTools,
      host.isDebian ? "run as root to install them" : "this is not a Debian machine; install them by hand",
    );
  }
  const env = aptEnvironment(options.env);
  const mirror = readDebianMirror(options.sourcesDir);
  if (!mirror) {
    throw new MissingDependenciesError(
      ["a bookworm entry in /etc/apt/sources.list.d/*.sources"],
      "no mirror to use",
    );
  }
  const sourcesChanged = ensureAptSourceFiles(mirror, options.sourcesDir);
  const missing = await missingPackages(runner, [...APT_PACKAGES, ...BACKPORTS_PACKAGES]);
  if (missing.length === 0 && !sourcesChanged) {
    reporter.report("all build dependencies are installed");
    return;
  }
  reporter.report("apt-get update");
  await runChecked(runner, "apt-get", ["update", "-q"], { env });
  if (missing.length > 0) {
    reporter.report(`apt-get install ${missing.join(" ")}`);
    await runChecked(runner, "apt-get", ["install", "-y", "-q", "--no-install-recommends", ...APT_PACKAGES], {
      env,
    });
    await runChecked(
      runner,
      "apt-get",
      ["install", "-y", "-q", "--no-install-recommends", "-t", DEBIAN_BACKPORTS_SUITE, ...BACKPORTS_PACKAGES],
      { env },
    );
  }
  reporter.report("build dependencies installed");
}
