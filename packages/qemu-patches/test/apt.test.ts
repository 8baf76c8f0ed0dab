import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  aptEnvironment,
  buildAptSourceFiles,
  ensureAptSourceFiles,
  ensureBuildDependencies,
  findDebianMirror,
  parseDeb822,
  readDebianMirror,
  SYSTEM_PATH_DIRS,
} from "../src/apt.js";
import { MissingDependenciesError } from "../src/errors.js";
import { APT_PACKAGES, BACKPORTS_PACKAGES } from "../src/pins.js";
import { StepReporter } from "../src/progress.js";
import { scriptedRunner, tempDir } from "./helpers.js";

// A made-up mirror: tests must not name a real registry host.
const MIRROR = "http://mirror.example.invalid/debian";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";

const DEBIAN_SOURCES = `Types: deb
# a snapshot comment
URIs: ${MIRROR}
Suites: bookworm bookworm-updates
Components: main
Signed-By: ${KEYRING}

Types: deb
URIs: http://security.example.invalid/debian-security
Suites: bookworm-security
Components: main
`;

describe("parseDeb822", () => {
  it("splits stanzas on blank lines, skips comments and joins continuation lines", () => {
    const stanzas = parseDeb822(`${DEBIAN_SOURCES}\nTypes: deb\nSuites: a\n b\n`);
    expect(stanzas).toHaveLength(3);
    expect(stanzas[0]).toMatchObject({ Types: "deb", URIs: MIRROR, Suites: "bookworm bookworm-updates" });
    expect(stanzas[2]?.Suites).toBe("a\nb");
  });
});

describe("findDebianMirror", () => {
  it("picks the bookworm main archive, not the security archive", () => {
    expect(findDebianMirror(parseDeb822(DEBIAN_SOURCES))).toEqual({ uri: MIRROR, signedBy: KEYRING });
  });

  it("skips disabled stanzas and finds nothing without a bookworm entry", () => {
    const disabled = DEBIAN_SOURCES.replace("Types: deb\n# a", "Enabled: no\nTypes: deb\n# a");
    expect(findDebianMirror(parseDeb822(disabled))).toBeUndefined();
  });
});

describe("apt source files", () => {
  it("adds bookworm-backports and a deb-src entry for sid on the machine's own mirror", () => {
    const [backports, sources] = buildAptSourceFiles({ uri: MIRROR, signedBy: KEYRING });
    expect(backports?.contents).toBe(
      `Types: deb\nURIs: ${MIRROR}\nSuites: bookworm-backports\nComponents: main\nSigned-By: ${KEYRING}\n`,
    );
    expect(sources?.name).toBe("bplab-sid-src.sources");
    expect(sources?.contents).toContain("Types: deb-src\n");
    expect(sources?.contents).toContain("Suites: sid\n");
  });

  it("writes the entries once and reads the mirror back, ignoring its own files", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "debian.sources"), DEBIAN_SOURCES);
    const mirror = readDebianMirror(dir);
    expect(mirror?.uri).toBe(MIRROR);
    expect(ensureAptSourceFiles(mirror ?? { uri: "" }, dir)).toBe(true);
    expect(ensureAptSourceFiles(mirror ?? { uri: "" }, dir)).toBe(false);
    expect(readFileSync(join(dir, "bplab-bookworm-backports.sources"), "utf8")).toContain(MIRROR);
    expect(readDebianMirror(dir)).toEqual(mirror);
  });
});

describe("ensureBuildDependencies", () => {
  const reporter = new StepReporter("deps", undefined);
  const installed = (names: readonly string[]) => names.map((name) => `${name} installed`).join("\n");

  it("as a normal user only checks, and names what is missing", async () => {
    const runner = scriptedRunner();
    const run = ensureBuildDependencies({
      runner,
      reporter,
      env: {},
      host: { isRoot: false, isDebian: true, missingTools: ["ninja", "meson>=1.5"] },
    });
    await expect(run).rejects.toBeInstanceOf(MissingDependenciesError);
    await expect(run).rejects.toThrow(
      "missing build dependencies: ninja, meson>=1.5 (run as root to install them)",
    );
    expect(runner.calls).toHaveLength(0);
  });

  it("as root with everything installed changes nothing", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "debian.sources"), DEBIAN_SOURCES);
    ensureAptSourceFiles({ uri: MIRROR, signedBy: KEYRING }, dir);
    const runner = scriptedRunner([
      [
        (command) => command === "dpkg-query",
        { stdout: installed([...APT_PACKAGES, ...BACKPORTS_PACKAGES]) },
      ],
    ]);
    await ensureBuildDependencies({
      runner,
      reporter,
      env: {},
      sourcesDir: dir,
      host: { isRoot: true, isDebian: true, missingTools: [] },
    });
    expect(runner.calls.map((call) => call.command)).toEqual(["dpkg-query"]);
  });

  /** Root on Debian with every apt package present but meson too old: the backports path. */
  async function installMesonAsRoot(env: NodeJS.ProcessEnv) {
    const dir = tempDir();
    writeFileSync(join(dir, "debian.sources"), DEBIAN_SOURCES);
    const runner = scriptedRunner([
      [(command) => command === "dpkg-query", { stdout: installed(APT_PACKAGES) }],
    ]);
    await ensureBuildDependencies({
      runner,
      reporter,
      env,
      sourcesDir: dir,
      host: { isRoot: true, isDebian: true, missingTools: ["meson"] },
    });
    return { dir, runner };
  }

  it("as root installs what is missing, meson from bookworm-backports", async () => {
    const { dir, runner } = await installMesonAsRoot({});
    const aptCalls = runner.calls
      .filter((call) => call.command === "apt-get")
      .map((call) => call.args.join(" "));
    expect(aptCalls[0]).toBe("update -q");
    expect(aptCalls[2]).toBe(
      "install -y -q --no-install-recommends -t bookworm-backports meson python3-pycotap",
    );
    expect(runner.calls[1]?.options.env?.DEBIAN_FRONTEND).toBe("noninteractive");
    expect(existsSync(join(dir, "bplab-sid-src.sources"))).toBe(true);
  });

  it("runs apt-get with the system directories first on PATH, ahead of a private one", async () => {
    // A root-only directory first on PATH hid gpgv from apt's _apt-user methods, and a fresh
    // machine's apt-get update failed (the fresh-clone check puts such a directory on PATH).
    const { runner } = await installMesonAsRoot({ PATH: "/tmp/private-0700/bin" });
    const aptPaths = runner.calls
      .filter((call) => call.command === "apt-get")
      .map((call) => call.options.env?.PATH);
    expect(aptPaths.length).toBeGreaterThan(0);
    for (const path of aptPaths) {
      expect(path).toBe(`${SYSTEM_PATH_DIRS.join(":")}:/tmp/private-0700/bin`);
    }
  });
});

describe("aptEnvironment", () => {
  it("puts the system directories first, once each, and keeps the caller's other entries after them", () => {
    const env = aptEnvironment({ PATH: "/opt/x/bin:/usr/bin:/home/u/bin", HOME: "/root" });
    expect(env.PATH).toBe(`${SYSTEM_PATH_DIRS.join(":")}:/opt/x/bin:/home/u/bin`);
    expect(env.HOME).toBe("/root");
    expect(env.DEBIAN_FRONTEND).toBe("noninteractive");
  });

  it("works without a PATH at all", () => {
    expect(aptEnvironment({}).PATH).toBe(SYSTEM_PATH_DIRS.join(":"));
  });
});
