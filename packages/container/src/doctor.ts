/**
 * labDoctor: what the lab needs on this machine, what is present, what is missing, and the
 * command that fixes each missing piece. gatherDoctorFacts() looks; buildDoctorReport() (pure,
 * tested with injected facts) decides and words the report.
 */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { GNU_EFI_CRT0, OVMF_CODE_PATH } from "@bplab/firmware";
import { BUILD_COMMAND, qemuBinaryPath, UNPATCHED_BUILD_COMMAND } from "@bplab/qemu-patches";
import { loadFdPassing } from "@bplab/vfio-user";
import { BASE_IMAGE, DEBOOTSTRAP } from "./base.js";
import {
  dockerClient,
  type EngineOptions,
  type EngineProbe,
  INSTALL_DOCKER,
  imageSize,
  probeEngine,
} from "./engine.js";
import { LAB_IMAGE_LATEST } from "./image.js";

/** What gatherDoctorFacts saw; a string is where (or what) was found, undefined is absent. */
export interface DoctorFacts {
  readonly dockerClient: string | undefined;
  readonly engine: EngineProbe;
  readonly debootstrap: boolean;
  /** undefined when the engine could not be asked. */
  readonly baseImage: boolean | undefined;
  readonly labImage: boolean | undefined;
  readonly patchedQemu: string | undefined;
  readonly unpatchedQemu: string | undefined;
  readonly ovmf: boolean;
  readonly gnuEfi: boolean;
  readonly mtools: boolean;
  readonly nvmeCli: boolean;
  /** true, or why the addon does not load. */
  readonly usocket: true | string;
  readonly nix: string | undefined;
}

export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  /** What was found, or what is wrong. */
  readonly detail: string;
  /** The command that fixes it (when !ok). */
  readonly fix?: string;
  /** Which way of running the lab needs it. */
  readonly neededFor: "container" | "host" | "nix";
}

export interface DoctorReport {
  /** True when nothing is missing. */
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
  readonly missing: readonly string[];
}

const apt = (pkg: string) => `apt-get install -y --no-install-recommends ${pkg} (as root)`;

function check(
  name: string,
  neededFor: DoctorCheck["neededFor"],
  found: string | undefined,
  missing: string,
  fix: string,
): DoctorCheck {
  return found === undefined
    ? { name, ok: false, detail: missing, fix, neededFor }
    : { name, ok: true, detail: found, neededFor };
}

function imageCheck(name: string, present: boolean | undefined, reference: string, fix: string): DoctorCheck {
  if (present === undefined) {
    return {
      name,
      ok: false,
      detail: `${reference}: unknown (no Docker engine to ask)`,
      fix,
      neededFor: "container",
    };
  }
  return check(name, "container", present ? reference : undefined, `${reference} is not in the engine`, fix);
}

export function buildDoctorReport(facts: DoctorFacts): DoctorReport {
  const labImageFix = "bplab lab image";
  const checks: DoctorCheck[] = [
    check("docker client", "container", facts.dockerClient, "no docker client on PATH", INSTALL_DOCKER),
    check(
      "docker engine running",
      "container",
      facts.engine.ok ? `server ${facts.engine.serverVersion}` : undefined,
      facts.engine.reason ?? "not running",
      facts.engine.fix ?? INSTALL_DOCKER,
    ),
    check(
      "debootstrap",
      "container",
      facts.debootstrap ? DEBOOTSTRAP : undefined,
      `${DEBOOTSTRAP} is missing (needed only when ${BASE_IMAGE} cannot be pulled)`,
      apt("debootstrap"),
    ),
    imageCheck(
      "base image",
      facts.baseImage,
      BASE_IMAGE,
      `${labImageFix} (as root: debootstraps it), or docker pull ${BASE_IMAGE}`,
    ),
    imageCheck("lab image", facts.labImage, LAB_IMAGE_LATEST, labImageFix),
    check("patched QEMU", "host", facts.patchedQemu, "the patched QEMU 10.2.2 is not built", BUILD_COMMAND),
    check(
      "unpatched QEMU",
      "host",
      facts.unpatchedQemu,
      "QEMU 10.2.2 without the series is not built",
      UNPATCHED_BUILD_COMMAND,
    ),
    check(
      "OVMF",
      "host",
      facts.ovmf ? OVMF_CODE_PATH : undefined,
      `${OVMF_CODE_PATH} is missing`,
      apt("ovmf"),
    ),
    check(
      "gnu-efi",
      "host",
      facts.gnuEfi ? GNU_EFI_CRT0 : undefined,
      `${GNU_EFI_CRT0} is missing`,
      apt("gnu-efi build-essential"),
    ),
    check("mtools", "host", facts.mtools ? "mcopy" : undefined, "mcopy is not on PATH", apt("mtools")),
    check("nvme-cli", "host", facts.nvmeCli ? "nvme" : undefined, "nvme is not on PATH", apt("nvme-cli")),
    check(
      "usocket",
      "host",
      facts.usocket === true ? "the fd-passing addon loads" : undefined,
      `vfio-user fd passing is unavailable: ${facts.usocket === true ? "" : facts.usocket.split("\n")[0]}`,
      "pnpm install (builds the usocket addon; needs apt-get install build-essential python3)",
    ),
    check("nix", "nix", facts.nix, "nix is not on PATH", apt("nix-bin")),
  ];
  const missing = checks.filter((c) => !c.ok).map((c) => c.name);
  return { ok: missing.length === 0, checks, missing };
}

/** One line per check: "ok" or "MISSING", the name, what was found, and the fix. */
export function formatDoctorReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const lines = report.checks.map((c) => {
    const head = `${c.ok ? "ok     " : "MISSING"}  ${c.name.padEnd(width)}  ${c.detail}`;
    return c.ok ? head : `${head}\n         ${" ".repeat(width)}  fix: ${c.fix}`;
  });
  lines.push(report.ok ? "everything the lab needs is present" : `missing: ${report.missing.join(", ")}`);
  return `${lines.join("\n")}\n`;
}

/** The first executable of that name on PATH. */
export function onPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function tryPath(find: () => string): string | undefined {
  try {
    return find();
  } catch {
    return undefined;
  }
}

/** Looks at this machine; never throws. */
export async function gatherDoctorFacts(options: EngineOptions = {}): Promise<DoctorFacts> {
  const env = options.env ?? process.env;
  const engine = await probeEngine(options);
  const image = async (reference: string) =>
    engine.ok ? (await imageSize(reference, options)) !== undefined : undefined;
  const fdPassing = loadFdPassing();
  const client = dockerClient(env);
  return {
    dockerClient: client.includes("/") ? (existsSync(client) ? client : undefined) : onPath(client, env),
    engine,
    debootstrap: existsSync(DEBOOTSTRAP),
    baseImage: await image(BASE_IMAGE),
    labImage: await image(LAB_IMAGE_LATEST),
    patchedQemu: tryPath(() => qemuBinaryPath({ env })),
    unpatchedQemu: tryPath(() => qemuBinaryPath({ env, unpatched: true })),
    ovmf: existsSync(OVMF_CODE_PATH),
    gnuEfi: existsSync(GNU_EFI_CRT0),
    mtools: onPath("mcopy", env) !== undefined,
    nvmeCli: onPath("nvme", env) !== undefined,
    usocket: fdPassing instanceof Error ? fdPassing.message : true,
    nix: onPath("nix", env),
  };
}

export async function labDoctor(options: EngineOptions = {}): Promise<DoctorReport> {
  return buildDoctorReport(await gatherDoctorFacts(options));
}
