/**
 * A guest NVMe device on the vfio-user target: the TS controller on a state directory, served to
 * stock QEMU's `vfio-user-pci` (this package's server in this process, plus the JSON control
 * channel), and the QEMU arguments that attach a guest to it: memfd guest RAM shared with the
 * server (DMA through the mapped fds, interrupts through eventfds) and the device in JSON
 * `-device` syntax, the only syntax in which QEMU takes the nested `socket` object
 * (docs/vfio-user.md). `bplab serve`, `bplab run` and @bplab/lab's Linux guest all start their
 * device here.
 *
 * A power cycle is MC-69 (the vfio-user form of MC-42): a new QEMU process on the socket, or the
 * explicit `powerCycle()`. The BPs can be seeded from, and read back as, the patched QEMU
 * device's `bootpart` image (docs/qemu.md, "The device"), so a caller that keeps its BPs in such a
 * file runs unchanged on either device.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { QuirkProfileName } from "@bplab/controller";
import { openStateDir, type StateDir, writeTraceJsonLines } from "@bplab/controller/storage";
import { CodedError } from "@bplab/node-kit";
import { BOOT_PARTITION_COUNT, type BpId } from "@bplab/nvme-spec";
import { BOOTPART_METADATA_BYTES, bootPartitionImageBytes } from "@bplab/qtest";
import { type ControlServer, startControlServer } from "./control/control-server.js";
import { FaultInjector } from "./control/faults.js";
import { startVfioUserServer, type VfioUserNvmeServer } from "./server/host.js";
import { findVfioUserQemu } from "./target.js";

export const DEFAULT_GUEST_DEVICE_MEMORY = "512M";
export const GUEST_DEVICE_ID = "vu0";
/** A plain QEMU size: it goes into the -object option string, where a comma would add options. */
const MEMORY_SIZE = /^[1-9][0-9]{0,9}[KMGT]?$/;

/** True for a size such as 512M or 1G that is safe inside a QEMU option string. */
export function isPlainMemorySize(text: string): boolean {
  return MEMORY_SIZE.test(text);
}
/** The patched device's metadata block (docs/qemu.md): magic, version 1, ABPID at byte 16. */
const BOOTPART_MAGIC = new TextEncoder().encode("QEMU-NVME-BP");
const BOOTPART_VERSION = 1;
const BOOTPART_VERSION_OFFSET = 12;
const BOOTPART_ABPID_OFFSET = 16;

export type GuestDeviceErrorCode = "GUEST_DEVICE_BAD_OPTION" | "GUEST_DEVICE_BAD_IMAGE" | "GUEST_DEVICE_BUSY";

export class GuestDeviceError extends CodedError<GuestDeviceErrorCode> {}

export interface StateDirServeOptions {
  /** The vfio-user socket QEMU connects to. */
  socketPath: string;
  stateDir: string;
  /** Create the state directory with this BP size when it does not exist yet. */
  createBpSizeBytes?: number;
  quirks?: QuirkProfileName;
  /** Append every controller trace event to this file as JSON lines. */
  traceFile?: string;
  /** The control socket; default `<socketPath>.control` (controlSocketFor). */
  controlSocketPath?: string;
  log?: (line: string) => void;
}

export interface StateDirServer {
  readonly server: VfioUserNvmeServer;
  readonly state: StateDir;
  readonly socket: string;
  readonly controlSocket: string;
  /** Stops serving and releases the state directory; safe to call twice. */
  close(): Promise<void>;
}

export function controlSocketFor(socketPath: string, control?: string): string {
  return control ?? `${socketPath}.control`;
}

/**
 * Opens the state directory and starts the vfio-user and control sockets; undoes what it did when
 * a step fails. The server is one power-on period of the directory, like every `bp` command (MC-42).
 */
export async function serveStateDir(options: StateDirServeOptions): Promise<StateDirServer> {
  const state = openStateDir(
    options.stateDir,
    options.createBpSizeBytes ? { create: { bpSizeBytes: options.createBpSizeBytes } } : {},
  );
  const undo: Array<() => Promise<void> | void> = [() => state.close()];
  const closeAll = async () => {
    for (const step of undo.splice(0).reverse()) await step();
  };
  try {
    const faults = new FaultInjector();
    const server = await startVfioUserServer({
      socketPath: options.socketPath,
      store: {
        bootPartitions: faults.wrapBootPartitions(state.bootPartitions),
        namespace: faults.wrapNamespace(state.namespace),
      },
      quirks: options.quirks ?? "spec",
      ...(options.log ? { log: options.log } : {}),
    });
    undo.push(() => server.close());
    if (options.traceFile) undo.push(writeTraceJsonLines(server.controller.trace, options.traceFile));
    const controlSocket = controlSocketFor(options.socketPath, options.controlSocketPath);
    const control: ControlServer = await startControlServer({
      socketPath: controlSocket,
      server,
      faults,
      describe: () => ({ state: state.path, socket: options.socketPath }),
    });
    undo.push(() => control.close());
    return { server, state, controlSocket, socket: options.socketPath, close: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * The QEMU arguments that give a q35 guest `memory` of memfd RAM shared with the server and the
 * `vfio-user-pci` function on `socketPath`. Everything else (accel, display, serial) is the caller's.
 */
export function vfioUserDeviceQemuArgs(options: { socketPath: string; memory: string }): string[] {
  if (!isPlainMemorySize(options.memory)) {
    throw new GuestDeviceError(
      "GUEST_DEVICE_BAD_OPTION",
      `memory must be a size such as 512M or 1G, got ${JSON.stringify(options.memory)}`,
    );
  }
  const device = {
    driver: "vfio-user-pci",
    id: GUEST_DEVICE_ID,
    socket: { type: "unix", path: options.socketPath },
  };
  return [
    ...["-machine", "q35,memory-backend=mem", "-m", options.memory],
    ...["-object", `memory-backend-memfd,id=mem,size=${options.memory},share=on`],
    ...["-device", JSON.stringify(device)],
  ];
}

/** The BPs and ABPID of a patched-device `bootpart` image (docs/qemu.md), checked as QEMU checks them. */
export function decodeBootpartImage(
  image: Uint8Array,
  bpSizeBytes: number,
): { bootPartitions: [Uint8Array, Uint8Array]; activeBpid: BpId } {
  const bpBytes = bpSizeBytes * BOOT_PARTITION_COUNT;
  if (image.length !== bpBytes && image.length !== bootPartitionImageBytes(bpSizeBytes)) {
    throw new GuestDeviceError(
      "GUEST_DEVICE_BAD_IMAGE",
      `a bootpart image for ${bpSizeBytes}-byte BPs is ${bpBytes} bytes, optionally plus a ${BOOTPART_METADATA_BYTES}-byte metadata block; got ${image.length}`,
    );
  }
  const bootPartitions: [Uint8Array, Uint8Array] = [
    image.subarray(0, bpSizeBytes),
    image.subarray(bpSizeBytes, bpBytes),
  ];
  const meta = image.subarray(bpBytes);
  if (meta.length === 0 || meta.every((byte) => byte === 0)) return { bootPartitions, activeBpid: 0 };
  const view = new DataView(meta.buffer, meta.byteOffset, meta.byteLength);
  const abpid = meta[BOOTPART_ABPID_OFFSET];
  const magicOk = BOOTPART_MAGIC.every((byte, index) => meta[index] === byte);
  if (
    !magicOk ||
    view.getUint32(BOOTPART_VERSION_OFFSET, true) !== BOOTPART_VERSION ||
    (abpid !== 0 && abpid !== 1)
  ) {
    throw new GuestDeviceError(
      "GUEST_DEVICE_BAD_IMAGE",
      "the 4 KiB block after the Boot Partitions is neither all zeroes nor a Boot Partition metadata block",
    );
  }
  return { bootPartitions, activeBpid: abpid };
}

/** BP0, BP1 and the metadata block with ABPID, as the patched device leaves it after CA=111b. */
export function encodeBootpartImage(bootPartitions: readonly Uint8Array[], activeBpid: BpId): Uint8Array {
  const bpSizeBytes = bootPartitions[0]?.length ?? 0;
  const image = new Uint8Array(bootPartitionImageBytes(bpSizeBytes));
  for (const [bpid, data] of bootPartitions.entries()) image.set(data, bpid * bpSizeBytes);
  const meta = image.subarray(bpSizeBytes * BOOT_PARTITION_COUNT);
  meta.set(BOOTPART_MAGIC);
  new DataView(meta.buffer, meta.byteOffset).setUint32(BOOTPART_VERSION_OFFSET, BOOTPART_VERSION, true);
  meta[BOOTPART_ABPID_OFFSET] = activeBpid;
  return image;
}

export interface GuestNvmeDeviceOptions {
  /** The state directory; default `<runDir>/state`, created with `createBpSizeBytes` per BP. */
  stateDir?: string;
  /** Where the sockets go; default a fresh directory under the temp dir, removed by stop(). */
  runDir?: string;
  createBpSizeBytes?: number;
  quirks?: QuirkProfileName;
  traceFile?: string;
  /** A qemu-system-x86_64 with vfio-user-pci; default: the unpatched build (findVfioUserQemu). */
  qemu?: string;
  /** Guest RAM (`-m` and the memfd backend); default DEFAULT_GUEST_DEVICE_MEMORY. */
  memory?: string;
  log?: (line: string) => void;
}

export interface GuestNvmeDevice {
  /** The QEMU to start the guest with. */
  readonly qemuBinary: string;
  /** Machine, memory and `-device` arguments (vfioUserDeviceQemuArgs). */
  readonly qemuArgs: readonly string[];
  readonly socket: string;
  readonly controlSocket: string;
  readonly stateDir: string;
  readonly runDir: string;
  readonly server: VfioUserNvmeServer;
  /** False when the fd-passing addon is missing: no interrupts, so a Linux guest cannot use it. */
  readonly passesFds: boolean;
  /** Writes BP0, BP1 and ABPID from a patched-device `bootpart` image; only while no QEMU is attached. */
  loadBootpartImage(image: Uint8Array): void;
  /** The BPs and ABPID as a patched-device `bootpart` image (with the metadata block). */
  bootpartImage(): Uint8Array;
  /** The explicit power cycle (MC-69); a new QEMU process on the socket is one too. */
  powerCycle(): void;
  /** Resolves once no QEMU is attached (after the last one exited). */
  whenDisconnected(): Promise<void>;
  /** Stops the server, releases the state directory, removes the run directory; safe twice. */
  stop(): Promise<void>;
}

/** Starts the server for a state directory and says how to attach a QEMU guest to it. */
export async function startGuestNvmeDevice(options: GuestNvmeDeviceOptions = {}): Promise<GuestNvmeDevice> {
  const memory = options.memory ?? DEFAULT_GUEST_DEVICE_MEMORY;
  const qemuBinary = await findVfioUserQemu(options.qemu);
  const ownRunDir = options.runDir === undefined;
  const runDir = options.runDir ?? mkdtempSync(join(tmpdir(), "bplab-guest-device-"));
  const removeRunDir = () => {
    if (ownRunDir) rmSync(runDir, { recursive: true, force: true });
  };
  // The server lives in this process: if it dies, only the run directory would stay behind.
  process.once("exit", removeRunDir);
  const socketPath = join(runDir, "nvme.sock");
  let served: StateDirServer;
  try {
    const qemuArgs = vfioUserDeviceQemuArgs({ socketPath, memory });
    served = await serveStateDir({
      socketPath,
      stateDir: options.stateDir ?? join(runDir, "state"),
      ...(options.createBpSizeBytes ? { createBpSizeBytes: options.createBpSizeBytes } : {}),
      ...(options.quirks ? { quirks: options.quirks } : {}),
      ...(options.traceFile ? { traceFile: options.traceFile } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    return new StartedGuestDevice(qemuBinary, qemuArgs, runDir, served, () => {
      process.off("exit", removeRunDir);
      removeRunDir();
    });
  } catch (error) {
    process.off("exit", removeRunDir);
    removeRunDir();
    throw error;
  }
}

class StartedGuestDevice implements GuestNvmeDevice {
  private stopped = false;

  constructor(
    readonly qemuBinary: string,
    readonly qemuArgs: readonly string[],
    readonly runDir: string,
    private readonly served: StateDirServer,
    private readonly removeRunDir: () => void,
  ) {}

  get socket(): string {
    return this.served.socket;
  }
  get controlSocket(): string {
    return this.served.controlSocket;
  }
  get stateDir(): string {
    return this.served.state.path;
  }
  get server(): VfioUserNvmeServer {
    return this.served.server;
  }
  get passesFds(): boolean {
    return this.served.server.passesFds;
  }

  loadBootpartImage(image: Uint8Array): void {
    // A guest would see its BPs change under a running command; the patched device cannot do that either.
    if (this.server.connected)
      throw new GuestDeviceError("GUEST_DEVICE_BUSY", "a QEMU is attached: load the image between boots");
    const store = this.served.state.bootPartitions;
    const { bootPartitions, activeBpid } = decodeBootpartImage(image, store.bpSizeBytes);
    // Through the store's own atomic commit, so the state directory's format stays its own.
    store.discardStaged();
    bootPartitions.forEach((data, bpid) => {
      store.stageWrite(0, data);
      store.commitStaged(bpid as BpId);
    });
    store.setActiveBpid(activeBpid);
  }

  bootpartImage(): Uint8Array {
    const store = this.served.state.bootPartitions;
    const bootPartitions = [0, 1].map((bpid) => {
      const data = new Uint8Array(store.bpSizeBytes);
      store.readBp(bpid as BpId, 0, data);
      return data;
    });
    return encodeBootpartImage(bootPartitions, store.activeBpid);
  }

  powerCycle(): void {
    this.server.powerCycle();
  }

  whenDisconnected(): Promise<void> {
    return this.server.whenDisconnected();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.served.close();
    } finally {
      this.removeRunDir();
    }
  }
}
