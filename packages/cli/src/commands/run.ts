/**
 * `bplab run`: `bplab serve` plus stock QEMU 10.2.2 on its socket, as one command that cleans up
 * both. QEMU gets memfd guest RAM shared with the server (so DMA goes through mmap'd fds and
 * interrupts through eventfds) and the device in JSON `-device` syntax, which is how QEMU takes
 * the nested `socket` object (docs/vfio-user.md).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dieWithParent } from "@bplab/node-kit";
import {
  DEFAULT_GUEST_DEVICE_MEMORY,
  isPlainMemorySize,
  startGuestNvmeDevice,
  vfioUserDeviceQemuArgs,
} from "@bplab/vfio-user";
import { CliFailure, CliUsageError } from "../errors.js";
import type { CliIo } from "../io.js";
import { type GuestChoice, linuxGuestQemuArgs } from "./run-guest.js";
import { type ServeOptions, untilStopped } from "./serve.js";

export const DEFAULT_RUN_MEMORY = DEFAULT_GUEST_DEVICE_MEMORY;
const DEFAULT_RUN_BP_BYTES = 128 * 1024;

export interface RunOptions extends Partial<Pick<ServeOptions, "state" | "profile" | "trace" | "bpsz">> {
  /** A qemu-system-x86_64 with vfio-user-pci; default: findUnpatchedQemuBinary(). */
  qemu?: string;
  memory?: string;
  /** Keep the run directory (sockets' directory, default state directory, trace). */
  keep?: boolean;
  /** More QEMU arguments, appended last (e.g. -kernel/-initrd/-append). */
  qemuArgs?: readonly string[];
  /** Boot @bplab/lab's Linux guest, which runs `guestScript` (default: nvme-cli identify) and powers off. */
  guest?: GuestChoice;
  guestScript?: string;
}

/**
 * The QEMU arguments (after the binary) for a guest on the vfio-user device at `socketPath`: the
 * device's own arguments (@bplab/vfio-user's vfioUserDeviceQemuArgs) plus a headless TCG machine
 * whose serial console is our stdout.
 */
export function vfioUserQemuArgs(options: { socketPath: string; memory: string }): string[] {
  return [
    ...vfioUserDeviceQemuArgs(options),
    ...[
      "-accel",
      "tcg",
      "-display",
      "none",
      "-nodefaults",
      "-no-reboot",
      "-serial",
      "stdio",
      "-monitor",
      "none",
    ],
  ];
}

/** Kills QEMU's whole process group and waits for it to be gone. */
async function stopQemu(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // Already gone.
  }
  await exited;
}

export interface RunResult {
  qemuPid: number | undefined;
  qemuExit: { code: number | null; signal: string | null } | "stopped";
  runDir: string;
}

/** Starts the server, then QEMU; returns when QEMU exits or on SIGINT/SIGTERM/`stop`, after cleaning up. */
export async function runServerAndQemu(
  io: CliIo,
  options: RunOptions,
  stop?: AbortSignal,
  onStarted?: (started: { qemuPid: number; socket: string; controlSocket: string }) => void,
): Promise<RunResult> {
  const memory = options.memory ?? DEFAULT_RUN_MEMORY;
  if (!isPlainMemorySize(memory))
    throw new CliUsageError("--memory", `must be a size such as 512M or 1G, got ${JSON.stringify(memory)}`);
  const guestArgs = options.guest
    ? await linuxGuestQemuArgs(options.guestScript, (line) => io.err(`${line}\n`))
    : [];
  const runDir = mkdtempSync(join(tmpdir(), "bplab-run-"));
  let child: ChildProcess | undefined;
  let exited: Promise<{ code: number | null; signal: string | null }> = Promise.resolve({
    code: null,
    signal: null,
  });
  const device = await startGuestNvmeDevice({
    runDir,
    memory,
    ...(options.qemu ? { qemu: options.qemu } : {}),
    ...(options.state ? { stateDir: options.state } : {}),
    ...(options.state && !options.bpsz ? {} : { createBpSizeBytes: options.bpsz ?? DEFAULT_RUN_BP_BYTES }),
    ...(options.profile ? { quirks: options.profile } : {}),
    ...(options.trace ? { traceFile: options.trace } : {}),
    log: (line) => io.err(`${line}\n`),
  }).catch((error) => {
    rmSync(runDir, { recursive: true, force: true });
    throw error;
  });
  const binary = device.qemuBinary;
  try {
    const argv = [
      ...vfioUserQemuArgs({ socketPath: device.socket, memory }),
      ...guestArgs,
      ...(options.qemuArgs ?? []),
    ];
    // QEMU dies with us even on SIGKILL (Linux parent-death signal).
    const tied = dieWithParent(binary, argv);
    io.err(`bplab run: ${binary} ${argv.join(" ")}\n`);
    const started = spawn(tied.command, tied.args, {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = started;
    exited = new Promise((resolve) => {
      started.once("error", (error) => {
        io.err(`bplab run: cannot start QEMU: ${error.message}\n`);
        resolve({ code: null, signal: null });
      });
      started.once("close", (code, signal) => resolve({ code, signal }));
    });
    started.stdout?.on("data", (chunk: Buffer) => io.out(chunk.toString("latin1")));
    started.stderr?.on("data", (chunk: Buffer) => io.err(chunk.toString("utf8")));
    if (started.pid === undefined) throw new CliFailure("CLI_UNAVAILABLE", `cannot start ${binary}`);
    onStarted?.({ qemuPid: started.pid, socket: device.socket, controlSocket: device.controlSocket });
    // When QEMU exits first, `finished` removes the signal handlers untilStopped installed.
    const finished = new AbortController();
    const stopped = untilStopped(stop ? AbortSignal.any([stop, finished.signal]) : finished.signal);
    const outcome = await Promise.race([exited, stopped.then(() => "stopped" as const)]);
    finished.abort();
    return { qemuPid: started.pid, qemuExit: outcome, runDir };
  } finally {
    if (child) await stopQemu(child, exited);
    await device.stop();
    if (!options.keep) rmSync(runDir, { recursive: true, force: true });
  }
}

/** `bplab run`: prints what ran and how QEMU ended; exit 1 when QEMU failed on its own. */
export async function runRunCommand(io: CliIo, options: RunOptions): Promise<void> {
  const result = await runServerAndQemu(io, options);
  if (options.keep) io.out(`kept ${result.runDir}\n`);
  if (result.qemuExit === "stopped") return;
  const { code, signal } = result.qemuExit;
  if (code !== 0)
    throw new CliFailure("CLI_QEMU", `QEMU exited with ${signal ? `signal ${signal}` : `code ${code}`}`);
}
