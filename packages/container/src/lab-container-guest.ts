/**
 * The Linux + nvme-cli guest flows, run the same way on the host and in a lab container, so the
 * two can be compared. One small program (GUEST_FLOW_PROGRAM) does it in both places: it loads
 * @bplab/lab from the package directory it is given, writes the Boot Partition image the job asks
 * for, boots the guest on the patched QEMU once per script (each boot is a power cycle of the
 * same `bootpart` file) and prints one JSON document: every boot's results and blobs, and the
 * sha256 of both BPs afterwards, or the lab's typed error (a time-out is a result, not a crash).
 * The program is plain ESM with only Node built-ins, so the container needs nothing but the
 * image's own node and packages.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCommand } from "@bplab/node-kit";
import { LAB_IMAGE } from "./image.js";
import {
  LAB_CONTAINER_INBOX_DIR,
  type LabContainer,
  LabContainerError,
  parseJsonOutput,
} from "./lab-container.js";

/** Where the lab image keeps @bplab/lab (in the `pnpm deploy` of @bplab/cli). */
export const LAB_IMAGE_LAB_PACKAGE = `${LAB_IMAGE.appDir}/node_modules/@bplab/lab`;

/** One guest boot: the script text and the files it reads under /lab/files. */
export interface GuestFlowBoot {
  readonly name: string;
  readonly script: string;
  readonly files: ReadonlyArray<{ readonly name: string; readonly data: Uint8Array }>;
}

export interface GuestFlowJob {
  /** BPSZ in 128 KiB units and what the host writes into each BP before the first boot. */
  readonly bpsz: number;
  readonly bp0: Uint8Array;
  readonly bp1: Uint8Array;
  readonly boots: readonly GuestFlowBoot[];
  /** The guest runner's time-out per boot (runGuest's timeoutMs); default the lab's 10 min. */
  readonly timeoutMs?: number;
}

export interface GuestFlowBootResult {
  readonly name: string;
  readonly doneStatus: number | null;
  readonly results: Readonly<Record<string, string>>;
  /** Blob bytes as hex. */
  readonly blobs: Readonly<Record<string, string>>;
  readonly seconds: number;
}

export interface GuestFlowResult {
  readonly boots: readonly GuestFlowBootResult[];
  /** sha256 (hex) of BP0 and BP1 in the `bootpart` file after the last boot (empty after an error). */
  readonly bootPartitions: readonly string[];
  /** Why a boot did not finish (the lab's typed error: GUEST_TIMEOUT, GUEST_INCOMPLETE, ...). */
  readonly error?: { readonly code: string; readonly name: string; readonly message: string };
  /** Wall seconds of the whole program: guest image lookup, every boot, clean-up. */
  readonly seconds: number;
}

/** The program, run as `node <file> <job.json> <the @bplab/lab package directory>`. */
export const GUEST_FLOW_PROGRAM = `
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [jobPath, labDir] = process.argv.slice(2);
const manifest = JSON.parse(await readFile(join(labDir, "package.json"), "utf8"));
const lab = await import(pathToFileURL(join(labDir, manifest.exports["."].import)).href);
const job = JSON.parse(await readFile(jobPath, "utf8"));
const bytes = (base64) => new Uint8Array(Buffer.from(base64, "base64"));
const sha256 = (data) => createHash("sha256").update(data).digest("hex");
const note = (text) => process.stderr.write("[guest-flow] " + text + "\\n");
const startedMs = Date.now();
const dir = await mkdtemp(join(tmpdir(), "bplab-guest-flow-"));
const boots = [];
let bootPartitions = [];
let error;
try {
  const bootpart = await lab.createBootpartImage(join(dir, "bootpart.img"), {
    bpsz: job.bpsz, bp0: bytes(job.bp0), bp1: bytes(job.bp1),
  });
  const image = await lab.buildGuestImage({});
  const qemuBinary = await lab.ensurePatchedQemu({});
  note("guest image " + image.key + ", QEMU " + qemuBinary);
  for (const boot of job.boots) {
    const files = boot.files.map((file) => ({ name: file.name, data: bytes(file.data) }));
    const timeout = job.timeoutMs ? { timeoutMs: job.timeoutMs } : {};
    const run = await lab.runGuest({ image, qemuBinary, script: boot.script, files, bootpart, ...timeout });
    note(boot.name + ": done in " + (run.timing.exitMs / 1000).toFixed(1) + " s");
    boots.push({
      name: boot.name,
      doneStatus: run.report.doneStatus ?? null,
      results: Object.fromEntries(run.report.results),
      blobs: Object.fromEntries([...run.report.blobs].map(([name, data]) => [name, Buffer.from(data).toString("hex")])),
      seconds: run.timing.exitMs / 1000,
    });
  }
  bootPartitions = [
    sha256(await lab.readBootPartition(bootpart, 0)),
    sha256(await lab.readBootPartition(bootpart, 1)),
  ];
} catch (caught) {
  // A typed lab error (a time-out above all) is a result the caller classifies, not a crash.
  error = { code: String(caught?.code ?? "UNKNOWN"), name: String(caught?.name), message: String(caught?.message) };
} finally {
  await rm(dir, { recursive: true, force: true });
}
const seconds = (Date.now() - startedMs) / 1000;
process.stdout.write(JSON.stringify({ boots, bootPartitions, seconds, ...(error ? { error } : {}) }) + "\\n");
`;

function jobJson(job: GuestFlowJob): string {
  const base64 = (data: Uint8Array) => Buffer.from(data).toString("base64");
  return JSON.stringify({
    bpsz: job.bpsz,
    bp0: base64(job.bp0),
    bp1: base64(job.bp1),
    ...(job.timeoutMs === undefined ? {} : { timeoutMs: job.timeoutMs }),
    boots: job.boots.map((boot) => ({
      name: boot.name,
      script: boot.script,
      files: boot.files.map((file) => ({ name: file.name, data: base64(file.data) })),
    })),
  });
}

function parseFlowOutput(
  stdout: string,
  exitCode: number | null,
  stderr: string,
  where: string,
): GuestFlowResult {
  const what = `guest flow on ${where} (exit ${exitCode}; stderr: ${stderr.trim().slice(-600)})`;
  if (exitCode !== 0) throw new LabContainerError("LAB_CONTAINER_COMMAND_FAILED", what);
  const [result] = parseJsonOutput<GuestFlowResult>(stdout, what);
  if (!result || !Array.isArray(result.boots) || !Array.isArray(result.bootPartitions))
    throw new LabContainerError("LAB_CONTAINER_BAD_OUTPUT", `${what}: not a guest flow result`);
  return result;
}

/** The directory of the @bplab/lab this module resolves (its package.json is the one named so). */
export function hostLabPackageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.resolve("@bplab/lab")));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "@bplab/lab") return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new LabContainerError("LAB_CONTAINER_COMMAND_FAILED", "cannot find @bplab/lab");
    dir = parent;
  }
}

/** Runs the job on this host with the @bplab/lab in `labDir` (default the one this module resolves). */
export async function runGuestFlowOnHost(
  job: GuestFlowJob,
  labDir: string = hostLabPackageDir(),
): Promise<GuestFlowResult> {
  const dir = await mkdtemp(join(tmpdir(), "bplab-guest-flow-job-"));
  try {
    const program = join(dir, "guest-flow.mjs");
    const jobFile = join(dir, "job.json");
    await writeFile(program, GUEST_FLOW_PROGRAM);
    await writeFile(jobFile, jobJson(job));
    const result = await runCommand(process.execPath, [program, jobFile, labDir]);
    return parseFlowOutput(result.stdout, result.exitCode, result.stderr, "the host");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the job inside a started lab container, with the image's node and packages. */
export async function runGuestFlowInContainer(
  job: GuestFlowJob,
  lab: LabContainer,
): Promise<GuestFlowResult> {
  const base = `${LAB_CONTAINER_INBOX_DIR}/guest-flow-${randomUUID().slice(0, 8)}`;
  await lab.writeFile(`${base}.mjs`, GUEST_FLOW_PROGRAM);
  await lab.writeFile(`${base}.json`, jobJson(job));
  const result = await lab.exec(["node", `${base}.mjs`, `${base}.json`, LAB_IMAGE_LAB_PACKAGE]);
  return parseFlowOutput(result.stdout, result.exitCode, result.stderr, `container ${lab.name}`);
}
