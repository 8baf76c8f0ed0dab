/**
 * Boots the guest (TCG, q35, -nodefaults, serial on a pipe) with its NVMe device on one of the
 * device targets (device-target.ts: the patched QEMU's nvme device, or the TS controller behind
 * stock QEMU's vfio-user-pci), feeds the serial
 * lines to the protocol parser and returns the report once the guest powered off. QEMU runs in
 * its own process group under `setpriv --pdeathsig SIGKILL` and is registered with @bplab/qtest's
 * process registry, so every way out (done, timeout, abort, error, a dying test worker) kills the
 * whole group and no qemu-system process stays behind.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dieWithParent } from "@bplab/node-kit";
import type { Clock } from "@bplab/qemu-patches";
import { killGroup, reapOrphans, trackProcess, untrackProcess } from "@bplab/qtest";
import type { BootpartImage } from "./bootpart-image.js";
import { CPIO_ALIGNMENT } from "./cpio.js";
import {
  type AttachedGuestDevice,
  attachGuestDevice,
  DEFAULT_GUEST_DEVICE_TARGET,
  GUEST_DEVICE_TARGETS,
  type GuestDeviceTarget,
  patchedDeviceQemuArgs,
} from "./device-target.js";
import {
  GuestAbortedError,
  GuestIncompleteError,
  GuestTimeoutError,
  LabBadOptionError,
  type LabError,
} from "./errors.js";
import { BootResult, SerialMarker } from "./guest-init.js";
import { type GuestFile, type GuestScript, overlayArchive, scriptCmdlineArgument } from "./guest-script.js";
import { type GuestReport, SerialReportParser } from "./serial-protocol.js";

export interface GuestKernel {
  readonly kernel: string;
  readonly initramfs: string;
}

export interface GuestRunOptions {
  /** The kernel and initramfs of buildGuestImage(). */
  image: GuestKernel;
  script: GuestScript | string;
  /** Files for a string script (a GuestScript carries its own). */
  files?: readonly GuestFile[];
  /**
   * The `bootpart` drive; without it the patched nvme device has no Boot Partitions (stock QEMU)
   * and the vfio-user device starts with empty ones. Both devices leave their BPs and ABPID in it.
   */
  bootpart?: BootpartImage | string;
  /** The NVMe device: "qemu" (the patched QEMU's nvme device, default) or "vfio-user". */
  device?: GuestDeviceTarget;
  /** Where the script travels: in a cpio overlay (default) or on the kernel command line. */
  scriptDelivery?: "initrd" | "cmdline";
  /** Default: the patched build (qemuBinaryPath()) for "qemu", the unpatched one for "vfio-user". */
  qemuBinary?: string;
  /** Guest RAM as -m takes it. */
  memory?: string;
  /** Kills the guest after this long (a safety net; a boot takes ~10-20 s under TCG). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onSerialLine?: (line: string) => void;
  /** More QEMU arguments, appended last. */
  extraArgs?: readonly string[];
  clock?: Clock;
}

export interface GuestTiming {
  /** Wall time from spawning QEMU to the guest's "driver ready" line. */
  readonly readyMs: number | undefined;
  /** ... to the end line of the script. */
  readonly doneMs: number | undefined;
  /** ... to QEMU's exit. */
  readonly exitMs: number;
}

export interface GuestRun {
  readonly report: GuestReport;
  readonly serial: string;
  readonly argv: readonly string[];
  readonly pid: number;
  readonly timing: GuestTiming;
  readonly exitCode: number | null;
}

export const DEFAULT_GUEST_MEMORY = "512M";
export const DEFAULT_GUEST_TIMEOUT_MS = 600_000;
export const GUEST_TEMP_PREFIX = "bplab-guest-";
/**
 * `quiet` keeps kernel messages from interleaving with result lines; panic=-1 + -no-reboot exit QEMU.
 * `no_timer_check`: under TCG on a loaded host the vCPU can run while QEMU's timer interrupts wait
 * for a core, and the kernel's early check that the IO-APIC timer ticks fails and panics ("IO-APIC +
 * timer doesn't work!"; seen once in the container e2e at load 60). The check finds broken
 * hardware wiring, which QEMU's q35 does not have.
 */
export const GUEST_KERNEL_ARGS: readonly string[] = Object.freeze([
  "console=ttyS0",
  "panic=-1",
  "quiet",
  "no_timer_check",
]);
const SERIAL_TAIL_CHARS = 4000;
const STDERR_TAIL_CHARS = 4000;
/** Serial text kept in memory (blobs of a few BPs fit; a runaway guest does not fill memory). */
const SERIAL_LIMIT_CHARS = 64 * 1024 * 1024;

const systemClock: Clock = { nowMs: () => performance.now() };

/** The cached initramfs, padded to 4 bytes, then the run's uncompressed overlay archive. */
export function composeInitrd(base: Uint8Array, overlay: Uint8Array): Uint8Array {
  const padded = Math.ceil(base.length / CPIO_ALIGNMENT) * CPIO_ALIGNMENT;
  const initrd = new Uint8Array(padded + overlay.length);
  initrd.set(base);
  initrd.set(overlay, padded);
  return initrd;
}

/** The QEMU arguments for one boot (after the binary). */
export function guestQemuArgs(options: {
  kernel: string;
  initrd: string;
  append: string;
  bootpartPath: string | undefined;
  memory: string;
  extraArgs?: readonly string[];
  /** Machine, memory and NVMe device of another target; default: the patched nvme device. */
  deviceArgs?: readonly string[];
}): string[] {
  return [
    ...(options.deviceArgs ?? patchedDeviceQemuArgs(options)),
    ...["-accel", "tcg", "-cpu", "max", "-smp", "1"],
    ...["-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio", "-monitor", "none"],
    ...["-kernel", options.kernel, "-initrd", options.initrd, "-append", options.append],
    ...(options.extraArgs ?? []),
  ];
}

function checkOptions(options: GuestRunOptions): void {
  if (
    options.timeoutMs !== undefined &&
    (!Number.isSafeInteger(options.timeoutMs) || options.timeoutMs <= 0)
  ) {
    throw new LabBadOptionError("timeoutMs", "must be a positive integer (milliseconds)", options.timeoutMs);
  }
  if (typeof options.script !== "string" && options.files !== undefined) {
    throw new LabBadOptionError("files", "only for a string script; add files with GuestScript.file()");
  }
  if (options.scriptDelivery !== undefined && !["initrd", "cmdline"].includes(options.scriptDelivery)) {
    throw new LabBadOptionError("scriptDelivery", 'must be "initrd" or "cmdline"', options.scriptDelivery);
  }
  if (options.device !== undefined && !GUEST_DEVICE_TARGETS.includes(options.device)) {
    throw new LabBadOptionError(
      "device",
      `must be one of ${GUEST_DEVICE_TARGETS.join(", ")}`,
      options.device,
    );
  }
}

/** Boots the guest, runs the script, returns its report; rejects with a LabError otherwise. */
export async function runGuest(options: GuestRunOptions): Promise<GuestRun> {
  checkOptions(options);
  const clock = options.clock ?? systemClock;
  const script = typeof options.script === "string" ? options.script : options.script.text;
  const files = typeof options.script === "string" ? (options.files ?? []) : options.script.files;
  const viaCmdline = options.scriptDelivery === "cmdline";
  const append = [...GUEST_KERNEL_ARGS, ...(viaCmdline ? [scriptCmdlineArgument(script)] : [])].join(" ");
  const timeoutMs = options.timeoutMs ?? DEFAULT_GUEST_TIMEOUT_MS;
  options.signal?.throwIfAborted();
  reapOrphans();

  const tempDir = await mkdtemp(join(tmpdir(), GUEST_TEMP_PREFIX));
  let pid: number | undefined;
  let device: AttachedGuestDevice | undefined;
  let deviceLog = "";
  try {
    const initrd = join(tempDir, "initrd.img");
    const overlay = overlayArchive(viaCmdline ? undefined : script, files);
    await writeFile(initrd, composeInitrd(await readFile(options.image.initramfs), overlay));
    const bootpartPath = typeof options.bootpart === "string" ? options.bootpart : options.bootpart?.path;
    const memory = options.memory ?? DEFAULT_GUEST_MEMORY;
    device = await attachGuestDevice({
      target: options.device ?? DEFAULT_GUEST_DEVICE_TARGET,
      runDir: tempDir,
      bootpart: options.bootpart,
      memory,
      qemuBinary: options.qemuBinary,
      log: (line) => {
        deviceLog = `${deviceLog}${line}\n`.slice(-STDERR_TAIL_CHARS);
      },
    });
    const argv = guestQemuArgs({
      kernel: options.image.kernel,
      initrd,
      append,
      bootpartPath,
      memory,
      deviceArgs: device.args,
      ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
    });
    const binary = device.binary;
    const tied = dieWithParent(binary, argv);
    const startMs = clock.nowMs();
    const child = spawn(tied.command, tied.args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    pid = child.pid;
    if (pid !== undefined) trackProcess(pid, tempDir);

    const parser = new SerialReportParser();
    let serial = "";
    let stderr = "";
    let pendingLine = "";
    let readyMs: number | undefined;
    let doneMs: number | undefined;
    let failure: LabError | undefined;
    const serialTail = () => serial.slice(-SERIAL_TAIL_CHARS);
    const stop = (error: LabError) => {
      failure ??= error;
      if (pid !== undefined) killGroup(pid, "SIGKILL");
    };
    const onLine = (line: string) => {
      try {
        parser.push(line);
      } catch (error) {
        stop(error as LabError);
        return;
      }
      if (readyMs === undefined && line.startsWith(`${SerialMarker.Result} ${BootResult.driverReady}=`)) {
        readyMs = clock.nowMs() - startMs;
      }
      if (doneMs === undefined && line.startsWith(`${SerialMarker.Done} `)) doneMs = clock.nowMs() - startMs;
      options.onSerialLine?.(line);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1");
      if (serial.length < SERIAL_LIMIT_CHARS) serial += text;
      const lines = (pendingLine + text).split("\n");
      pendingLine = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
    });
    const timer = setTimeout(() => stop(new GuestTimeoutError(timeoutMs, serialTail())), timeoutMs);
    const onAbort = () => stop(new GuestAbortedError(serialTail()));
    options.signal?.addEventListener("abort", onAbort, { once: true });

    const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => {
      child.once("error", (error) => {
        stderr += error.message;
        resolve({ code: null, signal: null });
      });
      child.once("close", (code, signal) => resolve({ code, signal }));
    });
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    if (pendingLine) onLine(pendingLine);
    // The BPs are in the bootpart file before anyone reads the report (vfio-user writes them back now).
    await device.release();
    if (failure) throw failure;
    const report = parser.report();
    if (report.doneStatus === undefined)
      throw new GuestIncompleteError(exit.code, exit.signal, serialTail(), stderr + deviceLog);
    return {
      report,
      serial,
      argv,
      pid: pid ?? -1,
      timing: { readyMs, doneMs, exitMs: clock.nowMs() - startMs },
      exitCode: exit.code,
    };
  } finally {
    if (pid !== undefined) {
      // The group leader has exited here; anything it left in its group goes too.
      killGroup(pid, "SIGKILL");
      untrackProcess(pid);
    }
    await device?.release();
    await rm(tempDir, { recursive: true, force: true });
  }
}
