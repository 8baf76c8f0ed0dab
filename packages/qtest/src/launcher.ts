/**
 * Starts QEMU under qtest control. The test is the listener (like libqtest): we listen on two unix
 * sockets in a fresh temp dir and QEMU connects to them as a client (`-qtest unix:PATH`,
 * `-qmp unix:PATH`). Every failure becomes a typed error that carries the tail of QEMU's stderr,
 * and every exit path kills the process group (see cleanup.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { dieWithParent } from "@bplab/node-kit";
import { killGroup, reapOrphans, trackProcess, untrackProcess } from "./cleanup.js";
import {
  ConnectionClosedError,
  ConnectTimeoutError,
  InvalidArgumentError,
  QemuExitedError,
} from "./errors.js";
import { findQemuBinary, probeQemu, type QemuBinary } from "./find-qemu.js";
import type { TraceListener } from "./line-transport.js";
import { QmpClient } from "./qmp/client.js";
import { QtestClient } from "./qtest/client.js";
import { parseRamRanges, type RamRange } from "./qtest/guest-ram.js";
import { DEFAULT_REPLY_TIMEOUT_MS, QtestConnection } from "./qtest/protocol.js";
import {
  checkSharedRamMode,
  openSharedRam,
  planSharedRam,
  readFlatView,
  type SharedRamMode,
  sharedRamArgs,
} from "./shared-ram.js";

export type Machine = "q35" | "pc";
export type Accel = "qtest" | "tcg";

export interface LaunchOptions {
  /** The QEMU binary; default: findQemuBinary() (BPLAB_QEMU, the patched build, the system one). */
  binary?: string;
  machine?: Machine;
  /** Guest RAM as QEMU's -m takes it. */
  memory?: string;
  /**
   * `qtest` (virtual clock under test control) when the binary has it; stock Debian QEMU does not,
   * so `auto` falls back to `tcg` with a firmware that only halts (no BIOS touches the devices).
   */
  accel?: "auto" | Accel;
  /** Extra QEMU arguments: devices, drives. */
  args?: readonly string[];
  connectTimeoutMs?: number;
  replyTimeoutMs?: number;
  /** How much of QEMU's stderr to keep for error messages. */
  stderrTailBytes?: number;
  trace?: TraceListener;
  /**
   * Guest RAM in a shared file (tmpfs), read and written with pread/pwrite instead of b64 over the
   * socket. `auto` (default): the file when QEMU's RAM layout checks out, else b64 (also when
   * `BPLAB_SHARED_RAM=off`, or when `args` bring their own memory backend); `on`: the file or an
   * error; `off`: b64 only.
   */
  sharedRam?: SharedRamMode;
}

/** How guest memory moves: through the shared RAM file, or b64 over the socket and why. */
export type GuestRamStatus =
  | { readonly path: "file"; readonly file: string; readonly ranges: readonly RamRange[] }
  | { readonly path: "b64"; readonly reason: string };

export interface QemuExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface QemuInstance {
  readonly pid: number;
  readonly binary: QemuBinary;
  readonly version: string;
  readonly accel: Accel;
  readonly machine: Machine;
  readonly tempDir: string;
  /** The full QEMU command line after the binary. */
  readonly argv: readonly string[];
  readonly qtest: QtestClient;
  readonly qmp: QmpClient;
  readonly guestRam: GuestRamStatus;
  /** Guest RAM at or above 1 MiB, from QEMU's flat view at start-up, whichever path is used. */
  readonly ramRanges: readonly RamRange[];
  /** Resolves when QEMU has exited (never rejects). */
  readonly exited: Promise<QemuExit>;
  stderrTail(): string;
  /** Sends `signal` to QEMU's process group (tests use SIGSTOP / SIGKILL). */
  kill(signal: NodeJS.Signals): void;
  /** Stops QEMU (SIGTERM, then SIGKILL), closes the sockets, removes the temp dir. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
const DEFAULT_STDERR_TAIL_BYTES = 4096;
const GRACEFUL_EXIT_MS = 3000;
/** After a socket closes, how long to wait for QEMU's exit status before reporting without it. */
const EXIT_AFTER_CLOSE_MS = 2000;

// A 64 KiB firmware whose reset vector (the last 16 bytes) is `cli; hlt; jmp hlt`: with tcg the
// vCPU runs, so without it SeaBIOS would enumerate PCI, program BARs and drive the NVMe device.
const HALT_FIRMWARE_BYTES = 64 * 1024;
const RESET_VECTOR_FROM_END = 16;
const HALT_LOOP = [0xfa /* cli */, 0xf4 /* hlt */, 0xeb, 0xfd /* jmp short back to hlt */];

function haltFirmware(): Uint8Array {
  const image = new Uint8Array(HALT_FIRMWARE_BYTES).fill(HALT_LOOP[1] as number);
  image.set(HALT_LOOP, HALT_FIRMWARE_BYTES - RESET_VECTOR_FROM_END);
  return image;
}

function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(path, () => resolve(server));
  });
}

function firstConnection(server: Server): Promise<Socket> {
  return new Promise((resolve) => server.once("connection", resolve));
}

function delay(ms: number): Promise<"timeout"> {
  return new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref());
}

function positive(field: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback;
  if (!Number.isSafeInteger(chosen) || chosen < 0) {
    throw new InvalidArgumentError(field, "must be a non-negative integer (ms; 0 disables)", value);
  }
  return chosen;
}

export async function launchQemu(options: LaunchOptions = {}): Promise<QemuInstance> {
  const machine = options.machine ?? "q35";
  if (machine !== "q35" && machine !== "pc") {
    throw new InvalidArgumentError("machine", 'must be "q35" or "pc"', machine);
  }
  const connectTimeoutMs = positive("connectTimeoutMs", options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS);
  const replyTimeoutMs = positive("replyTimeoutMs", options.replyTimeoutMs, DEFAULT_REPLY_TIMEOUT_MS);
  const tailBytes = positive("stderrTailBytes", options.stderrTailBytes, DEFAULT_STDERR_TAIL_BYTES);
  const memory = options.memory ?? "128M";
  const ramPlan = planSharedRam(checkSharedRamMode(options.sharedRam), options.args ?? []);
  reapOrphans();

  const binary = await findQemuBinary(options.binary === undefined ? {} : { binary: options.binary });
  const features = await probeQemu(binary.path);
  const accel: Accel =
    options.accel === undefined || options.accel === "auto"
      ? features.accelerators.includes("qtest")
        ? "qtest"
        : "tcg"
      : options.accel;

  const tempDir = await mkdtemp(join(ramPlan.tempParent, "bplab-qemu-"));
  const qtestPath = join(tempDir, "qtest.sock");
  const qmpPath = join(tempDir, "qmp.sock");
  const servers = await Promise.all([listen(qtestPath), listen(qmpPath)]);
  const closeServers = () => {
    for (const server of servers) server.close();
  };
  const argv = [
    ...["-machine", machine, "-accel", accel, "-m", memory],
    ...["-qtest", `unix:${qtestPath}`, "-qtest-log", "none", "-qmp", `unix:${qmpPath}`],
    ...["-display", "none", "-nodefaults"],
  ];
  if (accel !== "qtest") {
    const firmware = join(tempDir, "halt.bin");
    await writeFile(firmware, haltFirmware());
    argv.push("-bios", firmware);
  }
  if (ramPlan.mode === "on") argv.push(...sharedRamArgs(tempDir, memory));
  argv.push(...(options.args ?? []));

  const tied = dieWithParent(binary.path, argv);
  const child = spawn(tied.command, tied.args, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const keepTail = (chunk: Buffer) => {
    stderr = (stderr + chunk.toString("utf8")).slice(-tailBytes);
  };
  child.stdout?.on("data", keepTail);
  child.stderr?.on("data", keepTail);
  const exited = waitForExit(child);
  if (child.pid === undefined) {
    closeServers();
    const exit = await exited;
    await rm(tempDir, { recursive: true, force: true });
    throw new QemuExitedError(exit.code, exit.signal, stderr);
  }
  const pid = child.pid;
  trackProcess(pid, tempDir);

  let closing: Promise<void> | undefined;
  let detachRam = () => {};
  const exitError = async (): Promise<Error> => {
    const exit = await Promise.race([exited, delay(EXIT_AFTER_CLOSE_MS)]);
    if (exit === "timeout") return new ConnectionClosedError("QEMU closed a socket but is still running");
    return new QemuExitedError(exit.code, exit.signal, stderr);
  };
  const destroy = async (): Promise<void> => {
    closeServers();
    detachRam();
    if (killGroup(pid, "SIGTERM")) {
      // A stopped QEMU (SIGSTOP in a test, a debugger) only sees SIGTERM once it runs again.
      killGroup(pid, "SIGCONT");
      if ((await Promise.race([exited, delay(GRACEFUL_EXIT_MS)])) === "timeout") killGroup(pid, "SIGKILL");
    }
    await exited;
    await rm(tempDir, { recursive: true, force: true });
    untrackProcess(pid);
  };

  try {
    const connected = Promise.all([firstConnection(servers[0]), firstConnection(servers[1])]);
    const outcome = await Promise.race([connected, exited, delay(connectTimeoutMs)]);
    if (outcome === "timeout") throw new ConnectTimeoutError("qtest and QMP", connectTimeoutMs, stderr);
    if (!Array.isArray(outcome)) throw new QemuExitedError(outcome.code, outcome.signal, stderr);
    closeServers();
    const [qtestSocket, qmpSocket] = outcome;
    const transportOptions = { onUnexpectedClose: exitError, replyTimeoutMs, trace: options.trace };
    const qtest = new QtestClient(new QtestConnection(qtestSocket, transportOptions));
    const qmp = await QmpClient.connect(qmpSocket, transportOptions);
    await qtest.endianness();
    const flatView = await readFlatView(qmp);
    const ramRanges = parseRamRanges(flatView);
    let guestRam: GuestRamStatus = { path: "b64", reason: ramPlan.reason ?? "" };
    if (ramPlan.mode === "on") {
      const opened = await openSharedRam(tempDir, qtest, flatView);
      if ("ram" in opened) {
        qtest.attachGuestRam(opened.ram);
        detachRam = () => {
          qtest.attachGuestRam(undefined);
          opened.ram.close();
        };
        guestRam = { path: "file", file: opened.ram.path, ranges: opened.ram.ranges };
      } else if (options.sharedRam === "on") {
        throw new InvalidArgumentError(
          "sharedRam",
          `is on but the RAM file cannot be used: ${opened.reason}`,
          "on",
        );
      } else {
        guestRam = { path: "b64", reason: opened.reason };
      }
    }
    void exited.then(async (exit) => {
      if (closing) return;
      const error = new QemuExitedError(exit.code, exit.signal, stderr);
      qtest.connection.fail(error);
      qmp.fail(error);
      await destroy();
    });
    return {
      pid,
      binary,
      version: features.version,
      accel,
      machine,
      tempDir,
      argv,
      qtest,
      qmp,
      guestRam,
      ramRanges,
      exited,
      stderrTail: () => stderr,
      kill: (signal) => void killGroup(pid, signal),
      close: () => {
        closing ??= (async () => {
          qtest.close();
          qmp.close();
          await destroy();
        })();
        return closing;
      },
    };
  } catch (error) {
    closing = destroy();
    await closing;
    throw error;
  }
}

function waitForExit(child: ChildProcess): Promise<QemuExit> {
  return new Promise((resolve) => {
    // "close" (not "exit") so the stderr tail is complete when the exit is reported.
    child.once("close", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
}
