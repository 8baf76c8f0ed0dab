/**
 * One power-on of the firmware lab: OVMF (a read-only CODE copy and a private VARS per run) on the
 * patched QEMU with the Boot Partition device, the ESP on virtio-blk, the UEFI Shell running
 * startup.nsh (the app, then Linux), serial on a pipe parsed into timestamped events.
 *
 * A power cycle is a new call on the same `bootpart` file (a new QEMU process, MC-42). The
 * target is a parameter (device-target.ts): "qemu", the patched device on the file, or
 * "vfio-user", stock QEMU in front of @bplab/vfio-user's TS controller seeded from and written
 * back to the file. QEMU runs in its own process group under `setpriv --pdeathsig SIGKILL`,
 * registered with @bplab/qtest's registry, and every way out kills the group.
 */
import { spawn } from "node:child_process";
import { copyFile, mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  composeInitrd,
  GUEST_KERNEL_ARGS,
  type GuestKernel,
  type GuestReport,
  type GuestScript,
  overlayArchive,
} from "@bplab/lab";
import { dieWithParent } from "@bplab/node-kit";
import { killGroup, reapOrphans, trackProcess, untrackProcess } from "@bplab/qtest";
import { attachFirmwareDevice, type FirmwareDevice, type FirmwareTarget } from "./device-target.js";
import { BootAbortedError, BootIncompleteError, type FirmwareError } from "./errors.js";
import { buildEsp } from "./esp.js";
import { type OvmfFiles, ovmfFiles } from "./host-tools.js";
import { appExitStatus, type SerialEvent, SerialEventParser } from "./serial-events.js";

export const FIRMWARE_TEMP_PREFIX = "bplab-fw-";
const TAIL_CHARS = 4000;
/** How often the serial log file is read; event times are accurate to this. */
const SERIAL_POLL_MS = 20;
/**
 * After the lab's `quiet` (console level 4): level 5 lets warnings and errors through (the
 * kernel's earliest visible lines under TCG, e.g. "tsc: Unable to calibrate against PIT") but not
 * the notice/info chatter that could split the guest's protocol lines. Notices such as "Linux
 * version" need level 6, so the first line Linux prints may also be /init's first result line.
 */
export const KERNEL_NOTICE_LOGLEVEL = "loglevel=5";

export interface FirmwareBootOptions {
  /** The patched qemu-system-x86_64 (target "qemu"). */
  qemuBinary: string;
  /** A stock qemu-system-x86_64 with vfio-user-pci (target "vfio-user"); default: the unpatched build. */
  vfioUserQemu?: string;
  /** The `bootpart` drive file (2 BPs + the ABPID block, docs/qemu.md). */
  bootpart: string;
  /** The built bpfw.efi. */
  app: string;
  appArgs: readonly string[];
  /** The new BP image put on the ESP as \bplab\bp-new.bin. */
  image?: string;
  /** Boot this Linux after the app (kernel + initramfs of @bplab/lab) with this script. */
  linux?: { image: GuestKernel; script: GuestScript };
  target?: FirmwareTarget;
  memory?: string;
  signal?: AbortSignal;
  onEvent?: (event: SerialEvent) => void;
  /** The OVMF to boot; default ovmfFiles(): BPLAB_OVMF_CODE/VARS when set, else Debian's. */
  ovmf?: OvmfFiles;
  /** Keep the run's directory (ESP, VARS, serial log) and return its path. */
  keep?: boolean;
}

export interface FirmwareBootTiming {
  /** Milliseconds from spawning QEMU. */
  readonly firmwareStartMs: number | undefined;
  readonly lockAppliedMs: number | undefined;
  readonly firmwareDoneMs: number | undefined;
  readonly firstKernelLineMs: number | undefined;
  readonly guestDoneMs: number | undefined;
  readonly exitMs: number;
}

export interface FirmwareBoot {
  readonly events: readonly SerialEvent[];
  /** The app's final status (its `done` line); undefined when it never got there. */
  readonly appStatus: bigint | undefined;
  readonly guest: GuestReport | undefined;
  readonly serial: string;
  readonly argv: readonly string[];
  readonly target: FirmwareTarget;
  readonly timing: FirmwareBootTiming;
  readonly exitCode: number | null;
  readonly keptDir: string | undefined;
}

export function firmwareQemuArgs(options: {
  serialLog: string;
  /** The OVMF CODE volume (read-only). */
  ovmfCode: string;
  /** This run's private VARS copy. */
  vars: string;
  esp: string;
  /** -machine, memory and the NVMe device of the target (device-target.ts). */
  deviceArgs: readonly string[];
}): string[] {
  return [
    ...options.deviceArgs,
    ...["-accel", "tcg", "-cpu", "max", "-smp", "1"],
    ...["-display", "none", "-nodefaults", "-no-reboot", "-monitor", "none"],
    // A file, not a pipe: QEMU's UART drops bytes when a pipe is full (a loaded host reads late).
    ...["-serial", `file:${options.serialLog}`],
    ...["-drive", `if=pflash,format=raw,unit=0,readonly=on,file=${options.ovmfCode}`],
    ...["-drive", `if=pflash,format=raw,unit=1,file=${options.vars}`],
    ...["-drive", `file=${options.esp},if=none,format=raw,id=esp`, "-device", "virtio-blk-pci,drive=esp"],
  ];
}

/** Follows a growing file: calls `onText` with each new piece; `stop()` reads what is left. */
async function tailFile(
  path: string,
  onText: (text: string) => void,
): Promise<{ stop: () => Promise<void> }> {
  const file = await open(path, "r");
  const buffer = Buffer.alloc(64 * 1024);
  let position = 0;
  let reading: Promise<void> = Promise.resolve();
  const drain = async () => {
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) return;
      position += bytesRead;
      onText(buffer.toString("latin1", 0, bytesRead));
    }
  };
  const timer = setInterval(() => {
    reading = reading.then(drain);
  }, SERIAL_POLL_MS);
  return {
    stop: async () => {
      clearInterval(timer);
      reading = reading.then(drain);
      await reading;
      await file.close();
    },
  };
}

function firstTime(
  events: readonly SerialEvent[],
  test: (event: SerialEvent) => boolean,
): number | undefined {
  return events.find(test)?.tMs;
}

export function bootTiming(events: readonly SerialEvent[], exitMs: number): FirmwareBootTiming {
  const fw = (name: string) => (event: SerialEvent) => event.kind === "firmware" && event.name === name;
  return {
    firmwareStartMs: firstTime(events, fw("start")),
    lockAppliedMs: firstTime(
      events,
      (e) => e.kind === "firmware" && e.name === "lock" && e.fields.mode !== "none",
    ),
    firmwareDoneMs: firstTime(events, fw("done")),
    // The first line Linux prints after the handover: a kernel line, or /init's first result.
    firstKernelLineMs: firstTime(events, (e) => e.kind === "kernel" || e.kind === "guest"),
    guestDoneMs: firstTime(events, (e) => e.kind === "guest" && e.line.startsWith("BPLAB-DONE ")),
    exitMs,
  };
}

/** Powers the lab on once and returns what the serial console showed. */
export async function runFirmwareBoot(options: FirmwareBootOptions): Promise<FirmwareBoot> {
  const target = options.target ?? "qemu";
  options.signal?.throwIfAborted();
  const ovmf = options.ovmf ?? ovmfFiles();
  reapOrphans();
  const dir = await mkdtemp(join(tmpdir(), FIRMWARE_TEMP_PREFIX));
  let pid: number | undefined;
  let device: FirmwareDevice | undefined;
  try {
    const vars = join(dir, "vars.fd");
    await copyFile(ovmf.vars, vars);
    let linux: { kernel: string; initrd: string; cmdline: readonly string[] } | undefined;
    if (options.linux) {
      const initrd = join(dir, "initrd.img");
      const overlay = overlayArchive(options.linux.script.text, options.linux.script.files);
      await writeFile(initrd, composeInitrd(await readFile(options.linux.image.initramfs), overlay));
      linux = {
        kernel: options.linux.image.kernel,
        initrd,
        cmdline: [...GUEST_KERNEL_ARGS, KERNEL_NOTICE_LOGLEVEL],
      };
    }
    const esp = await buildEsp(dir, {
      app: options.app,
      appArgs: options.appArgs,
      ...(options.image ? { image: options.image } : {}),
      ...(linux ? { linux } : {}),
    });
    const serialLog = join(dir, "serial.log");
    await writeFile(serialLog, "");
    device = await attachFirmwareDevice({
      target,
      bootpart: options.bootpart,
      memory: options.memory ?? "512M",
      qemuBinary: options.qemuBinary,
      ...(options.vfioUserQemu ? { vfioUserQemu: options.vfioUserQemu } : {}),
      runDir: dir,
      needsInterrupts: options.linux !== undefined,
    });
    const argv = firmwareQemuArgs({ serialLog, ovmfCode: ovmf.code, vars, esp, deviceArgs: device.args });
    const tied = dieWithParent(device.binary, argv);
    const startMs = performance.now();
    const child = spawn(tied.command, tied.args, {
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    pid = child.pid;
    if (pid !== undefined) trackProcess(pid, dir);

    const parser = new SerialEventParser();
    let serial = "";
    let stderr = "";
    let pending = "";
    let failure: FirmwareError | undefined;
    const stop = (error: FirmwareError) => {
      failure ??= error;
      if (pid !== undefined) killGroup(pid, "SIGKILL");
    };
    const onLine = (line: string) => {
      try {
        const event = parser.push(line, performance.now() - startMs);
        if (event) options.onEvent?.(event);
      } catch (error) {
        stop(error as FirmwareError);
      }
    };
    const onText = (text: string) => {
      serial += text;
      const lines = (pending + text).split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    };
    const tail = await tailFile(serialLog, onText);
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-TAIL_CHARS);
    });
    const onAbort = () => stop(new BootAbortedError(serial.slice(-TAIL_CHARS)));
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const exitCode = await new Promise<number | null>((resolve) => {
      child.once("error", (error) => {
        stderr += error.message;
        resolve(null);
      });
      child.once("close", (code) => resolve(code));
    });
    options.signal?.removeEventListener("abort", onAbort);
    await tail.stop();
    // The BPs and ABPID are in the bootpart file before anyone reads it (vfio-user writes them now).
    await device.release();
    if (pending) onLine(pending);
    if (failure) throw failure;
    const exitMs = performance.now() - startMs;

    const appStatus = appExitStatus(parser.events);
    const guest = options.linux ? parser.guest.report() : undefined;
    const appFailed = appStatus !== undefined && appStatus !== 0n;
    const complete =
      appStatus !== undefined && (!options.linux || appFailed || guest?.doneStatus !== undefined);
    if (!complete) throw new BootIncompleteError(exitCode, serial.slice(-TAIL_CHARS), stderr);
    return {
      events: parser.events,
      appStatus,
      guest,
      serial,
      argv,
      target,
      timing: bootTiming(parser.events, exitMs),
      exitCode,
      keptDir: options.keep ? dir : undefined,
    };
  } finally {
    if (pid !== undefined) {
      killGroup(pid, "SIGKILL");
      untrackProcess(pid);
    }
    await device?.release();
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  }
}
