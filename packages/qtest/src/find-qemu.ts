/**
 * Which QEMU to run, and what it can do. Order: an explicit path, then `BPLAB_QEMU`, then the
 * patched build of @bplab/qemu-patches, then the distribution's qemu-system-x86_64. The unpatched
 * QEMU (stock 10.2.2, for vfio-user) has its own finder: findUnpatchedQemuBinary().
 */
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { isExecutable } from "@bplab/node-kit";
import { QemuNotFoundError } from "./errors.js";

const run = promisify(execFile);

export const QEMU_ENV = "BPLAB_QEMU";
export const SYSTEM_QEMU_PATH = "/usr/bin/qemu-system-x86_64";
/** The command that builds the patched QEMU (printed when no binary is found). */
export const QEMU_BUILD_COMMAND = "pnpm --filter @bplab/qemu-patches run build:qemu";
/** The environment variable naming a QEMU 10.2.2 built without the series. */
export const UNPATCHED_QEMU_ENV = "BPLAB_QEMU_UNPATCHED";
/** The command that builds QEMU 10.2.2 without the series (printed when it is not found). */
export const UNPATCHED_QEMU_BUILD_COMMAND = `${QEMU_BUILD_COMMAND} --unpatched`;
const QEMU_PATCHES_PACKAGE = "@bplab/qemu-patches";

export type QemuBinarySource =
  | "option"
  | "BPLAB_QEMU"
  | "@bplab/qemu-patches"
  | "system"
  | "BPLAB_QEMU_UNPATCHED"
  | "@bplab/qemu-patches --unpatched";

export interface QemuBinary {
  readonly path: string;
  readonly source: QemuBinarySource;
}

export interface FindQemuOptions {
  /** Use exactly this binary. */
  binary?: string;
  env?: NodeJS.ProcessEnv;
  /** Where to look last (tests point it at a missing path). */
  systemPath?: string;
  /** Resolves the patched build; defaults to @bplab/qemu-patches' qemuBinaryPath(). */
  patchedBinaryPath?: () => Promise<string | undefined>;
}

/**
 * The patched build's path (or with `unpatched`, the build without the series) when
 * @bplab/qemu-patches is installed and has built it.
 */
export async function patchedQemuPath(options: { unpatched?: boolean } = {}): Promise<string | undefined> {
  try {
    // A variable specifier: the package is optional and may not be installed next to this one.
    const specifier = QEMU_PATCHES_PACKAGE;
    const patches = (await import(specifier)) as {
      qemuBinaryPath?: (options?: { unpatched?: boolean }) => string | Promise<string>;
    };
    const path = await patches.qemuBinaryPath?.(options.unpatched ? { unpatched: true } : undefined);
    return typeof path === "string" && isExecutable(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

/** The first path the user named (option, then environment), or undefined when none is named. */
function explicitBinary(
  named: ReadonlyArray<[string | undefined, QemuBinarySource]>,
  notFound: (tried: string[]) => Error,
): QemuBinary | undefined {
  for (const [path, source] of named) {
    if (!path) continue;
    // A path the user named and that does not work is an error, not a reason to fall back.
    if (isExecutable(path)) return { path, source };
    throw notFound([`${path} (from ${source}, not an executable file)`]);
  }
  return undefined;
}

export async function findQemuBinary(options: FindQemuOptions = {}): Promise<QemuBinary> {
  const env = options.env ?? process.env;
  const tried: string[] = [];
  const explicit = explicitBinary(
    [
      [options.binary, "option"],
      [env[QEMU_ENV], "BPLAB_QEMU"],
    ],
    (paths) => new QemuNotFoundError(paths, QEMU_BUILD_COMMAND),
  );
  if (explicit) return explicit;
  const patched = await (options.patchedBinaryPath ?? patchedQemuPath)();
  if (patched) return { path: patched, source: "@bplab/qemu-patches" };
  tried.push(`${QEMU_PATCHES_PACKAGE} (not built)`);
  const system = options.systemPath ?? SYSTEM_QEMU_PATH;
  if (isExecutable(system)) return { path: system, source: "system" };
  tried.push(system);
  throw new QemuNotFoundError(tried, QEMU_BUILD_COMMAND);
}

/** No QEMU without the series: the message says how to build that one, not the patched one. */
export class UnpatchedQemuNotFoundError extends QemuNotFoundError {
  constructor(tried: readonly string[]) {
    super(tried, UNPATCHED_QEMU_BUILD_COMMAND);
    this.message =
      `no unpatched QEMU 10.2.2 found (tried: ${tried.join(", ")}). Build it with: ` +
      `${UNPATCHED_QEMU_BUILD_COMMAND} or set ${UNPATCHED_QEMU_ENV} to a qemu-system-x86_64 binary`;
  }
}

export interface FindUnpatchedQemuOptions {
  /** Use exactly this binary. */
  binary?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolves the unpatched build; defaults to @bplab/qemu-patches' qemuBinaryPath({ unpatched: true }). */
  unpatchedBinaryPath?: () => Promise<string | undefined>;
}

/**
 * QEMU 10.2.2 built without the series, for the vfio-user tests (proof that no patch is needed).
 * Order: an explicit path, `BPLAB_QEMU_UNPATCHED`, then @bplab/qemu-patches' unpatched build.
 * Never the distribution's QEMU: another version, and Debian 12's has no vfio-user-pci.
 */
export async function findUnpatchedQemuBinary(options: FindUnpatchedQemuOptions = {}): Promise<QemuBinary> {
  const env = options.env ?? process.env;
  const explicit = explicitBinary(
    [
      [options.binary, "option"],
      [env[UNPATCHED_QEMU_ENV], "BPLAB_QEMU_UNPATCHED"],
    ],
    (paths) => new UnpatchedQemuNotFoundError(paths),
  );
  if (explicit) return explicit;
  const built = await (options.unpatchedBinaryPath ?? (() => patchedQemuPath({ unpatched: true })))();
  if (built) return { path: built, source: "@bplab/qemu-patches --unpatched" };
  throw new UnpatchedQemuNotFoundError([`${QEMU_PATCHES_PACKAGE} --unpatched (not built)`]);
}

export interface QemuFeatures {
  readonly version: string;
  readonly accelerators: readonly string[];
}

const featureCache = new Map<string, Promise<QemuFeatures>>();

/** A probe that hangs (a broken binary) must not hang the caller. */
const PROBE_TIMEOUT_MS = 20_000;

/**
 * True when `-accel qtest` starts: `-accel help` does not list the qtest accelerator even where
 * it exists (QEMU 10.2.2), and Debian's 7.2 has none. QMP on stdio lets the probe quit cleanly.
 */
function hasQtestAccel(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(
      path,
      ["-machine", "none", "-accel", "qtest", "-nodefaults", "-display", "none", "-qmp", "stdio"],
      {
        stdio: ["pipe", "ignore", "ignore"],
      },
    );
    const timer = setTimeout(() => child.kill("SIGKILL"), PROBE_TIMEOUT_MS);
    child.once("error", () => resolve(false));
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
    child.stdin?.on("error", () => undefined);
    child.stdin?.end('{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n');
  });
}

/** Version and accelerators of a binary (cached per path). */
export function probeQemu(path: string): Promise<QemuFeatures> {
  let probe = featureCache.get(path);
  if (!probe) {
    probe = (async () => {
      const [version, accel, qtest] = await Promise.all([
        run(path, ["--version"], { timeout: PROBE_TIMEOUT_MS }),
        run(path, ["-accel", "help"], { timeout: PROBE_TIMEOUT_MS }),
        hasQtestAccel(path),
      ]);
      const listed = accel.stdout
        .split("\n")
        .slice(1)
        .map((line) => line.trim())
        .filter((line) => /^[a-z0-9-]+$/.test(line));
      const accelerators = qtest && !listed.includes("qtest") ? [...listed, "qtest"] : listed;
      return { version: version.stdout.split("\n")[0]?.trim() ?? "", accelerators };
    })();
    featureCache.set(path, probe);
    probe.catch(() => featureCache.delete(path));
  }
  return probe;
}

const devicePropertyCache = new Map<string, Promise<readonly string[]>>();

/** Property names of device `driver` in this binary (`-device driver,help`), cached. */
export function probeDeviceProperties(path: string, driver: string): Promise<readonly string[]> {
  const key = `${path}\0${driver}`;
  let probe = devicePropertyCache.get(key);
  if (!probe) {
    probe = run(path, ["-machine", "none", "-device", `${driver},help`], { timeout: PROBE_TIMEOUT_MS }).then(
      ({ stdout }) =>
        stdout
          .split("\n")
          .map((line) => /^\s+([\w.-]+)=/.exec(line)?.[1])
          .filter((name): name is string => name !== undefined),
    );
    devicePropertyCache.set(key, probe);
    probe.catch(() => devicePropertyCache.delete(key));
  }
  return probe;
}
