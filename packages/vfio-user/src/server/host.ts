/**
 * The vfio-user server: it listens on a unix socket before QEMU starts, hosts one NvmeController
 * as a PCI function through the controller's ports, and serves one client at a time. The device
 * outlives its clients: a socket close loses nothing (MC-69); a reconnect is a new client.
 */
import { unlinkSync } from "node:fs";
import {
  type BootPartitionStore,
  type Clock,
  type ControllerConfig,
  createMemoryStore,
  type HostMemory,
  ImmediateScheduler,
  type NamespaceStore,
  NvmeController,
  type QuirkProfileName,
  type QuirkSwitches,
  type Scheduler,
} from "@bplab/controller";
import { VfioUserServerError } from "../errors.js";
import { NvmePciFunction } from "../pci/nvme-function.js";
import type { DmaLayout } from "../protocol/constants.js";
import { DmaMapTable } from "./dma-maps.js";
import { MsixEventfds } from "./interrupts.js";
import { ClientSession, type SessionHost, type SessionStats } from "./session.js";
import { type Connection, type Listener, listenUnix } from "./transport.js";

const DEFAULT_DMA_REPLY_TIMEOUT_MS = 30_000;

export interface VfioUserServerOptions {
  /** The unix socket QEMU's `vfio-user-pci` connects to; an old socket file there is replaced. */
  socketPath: string;
  /** Storage; default: a fresh in-memory store with `bpSizeBytes` per BP. */
  store?: { bootPartitions: BootPartitionStore; namespace?: NamespaceStore };
  bpSizeBytes?: number;
  config?: Partial<ControllerConfig>;
  quirks?: QuirkProfileName | Partial<QuirkSwitches>;
  clock?: Clock;
  /**
   * Where the controller defers its work (BP reads, commands). Default: the Node event loop
   * (ImmediateScheduler), for a server QEMU drives on its own. A host that steps time itself, like
   * the scenario Target, passes a ManualScheduler and runs it when it settles, so a BP read is still
   * in progress (BRS=01b) between two host steps, as on the core and the QEMU nvme device.
   */
  scheduler?: Scheduler;
  /** Where DMA_READ/DMA_WRITE carry their data: QEMU 10.2.2 (byte 28, default) or the spec (32). */
  dmaLayout?: DmaLayout;
  /**
   * How long a DMA_READ/DMA_WRITE may wait for the client's reply before the client is dropped
   * (0: forever). Default 30 000 ms; QEMU answers in microseconds and gives up on us after 5 s.
   */
  dmaReplyTimeoutMs?: number;
  /** `off` forces the pure-Node socket (no guest-memory fds, no interrupts). */
  fdPassing?: "auto" | "off";
  /** MC-69: a new client after a previous one is a new QEMU process, so a power cycle. Default true. */
  powerCycleOnNewClient?: boolean;
  log?: (line: string) => void;
}

export interface VfioUserServerStats extends SessionStats {
  clients: number;
  refusedClients: number;
  interruptsRaised: number;
  interruptsDropped: number;
}

export class VfioUserNvmeServer implements SessionHost {
  readonly controller: NvmeController;
  readonly pci: NvmePciFunction;
  readonly maps = new DmaMapTable();
  readonly irqs: MsixEventfds;
  /** Guest memory as the controller sees it (fds or DMA messages); synchronous, throws DmaError. */
  readonly hostMemory: HostMemory;
  private session: ClientSession | undefined;
  private listener!: Listener;
  private everConnected = false;
  private warnedNoInterrupts = false;
  private readonly totals = { clients: 0, refusedClients: 0, requests: 0, errorReplies: 0, dmaMessages: 0 };
  private readonly clientWaiters: Array<() => void> = [];
  private readonly logLine: (line: string) => void;

  private constructor(private readonly options: VfioUserServerOptions) {
    this.logLine = options.log ?? ((line) => console.warn(line));
    const store = options.store ?? createMemoryStore({ bpSizeBytes: options.bpSizeBytes ?? 256 * 1024 });
    this.irqs = new MsixEventfds(options.config?.msixVectors ?? 8, () => this.warnNoInterrupts());
    this.hostMemory = this.maps.hostMemory(() => this.session);
    this.controller = new NvmeController({
      hostMemory: this.hostMemory,
      interrupts: this.irqs,
      bootPartitions: store.bootPartitions,
      namespace: store.namespace,
      scheduler: options.scheduler ?? new ImmediateScheduler(),
      clock: options.clock,
      config: { ...options.config, msixVectors: this.irqs.vectors },
      quirks: options.quirks,
    });
    this.pci = new NvmePciFunction(this.controller, { onFunctionLevelReset: () => this.functionReset() });
  }

  /** Creates the controller and listens; resolves once the socket accepts connections. */
  static async start(options: VfioUserServerOptions): Promise<VfioUserNvmeServer> {
    const server = new VfioUserNvmeServer(options);
    try {
      unlinkSync(options.socketPath);
    } catch {
      // No old socket: nothing to replace.
    }
    try {
      server.listener = await listenUnix(options.socketPath, options.fdPassing ?? "auto");
    } catch (error) {
      throw new VfioUserServerError(
        "VFIO_USER_LISTEN_FAILED",
        `cannot listen on ${options.socketPath}: ${(error as Error).message}`,
      );
    }
    if (!server.listener.passesFds)
      server.log(
        "vfio-user: fd passing is unavailable (the usocket addon is not built or was turned off): " +
          "INTERRUPTS ARE OFF and DMA goes through DMA_READ/DMA_WRITE messages; only polling hosts work",
      );
    server.listener.onConnection((connection) => server.accept(connection));
    return server;
  }

  get passesFds(): boolean {
    return this.listener.passesFds;
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  get stats(): VfioUserServerStats {
    const live = this.session?.stats ?? { requests: 0, errorReplies: 0, dmaMessages: 0 };
    return {
      clients: this.totals.clients,
      refusedClients: this.totals.refusedClients,
      requests: this.totals.requests + live.requests,
      errorReplies: this.totals.errorReplies + live.errorReplies,
      dmaMessages: this.totals.dmaMessages + live.dmaMessages,
      interruptsRaised: this.irqs.raised,
      interruptsDropped: this.irqs.dropped,
    };
  }

  /** Resolves when no client is connected (after a disconnect). */
  whenDisconnected(): Promise<void> {
    if (!this.session) return Promise.resolve();
    return new Promise((resolve) => this.clientWaiters.push(resolve));
  }

  log(line: string): void {
    this.logLine(line);
  }

  private accept(connection: Connection): void {
    if (this.session) {
      // One client at a time: a second QEMU on the same socket is refused.
      this.totals.refusedClients += 1;
      connection.close();
      return;
    }
    this.totals.clients += 1;
    if (this.everConnected && (this.options.powerCycleOnNewClient ?? true)) this.powerCycle();
    this.everConnected = true;
    this.session = new ClientSession(
      connection,
      this,
      this.options.dmaLayout ?? "qemu",
      this.options.dmaReplyTimeoutMs ?? DEFAULT_DMA_REPLY_TIMEOUT_MS,
    );
  }

  sessionEnded(session: ClientSession): void {
    if (this.session !== session) return;
    this.totals.requests += session.stats.requests;
    this.totals.errorReplies += session.stats.errorReplies;
    this.totals.dmaMessages += session.stats.dmaMessages;
    this.session = undefined;
    // The maps and eventfds belong to the client; the controller's state stays.
    this.maps.clear();
    this.irqs.clear();
    for (const wake of this.clientWaiters.splice(0)) wake();
  }

  regionWrite(region: number, offset: number, data: Uint8Array): void {
    this.pci.write(region, offset, data);
  }

  /** DEVICE_RESET (QEMU's system or device reset): a Controller Level Reset, locks stay (MC-40). */
  deviceReset(): void {
    this.pci.resetFunction();
    this.controller.controllerReset();
  }

  /** A guest FLR: the same Controller Level Reset; the config space returns to power-on values. */
  functionReset(): void {
    this.pci.resetFunction();
    this.controller.controllerReset();
  }

  /** The explicit power cycle (MC-69): volatile state goes, unlocked BPs relock (MC-41). */
  powerCycle(): void {
    this.pci.resetFunction();
    this.controller.powerCycle();
  }

  /** Stops listening and drops the client; the socket file is removed. */
  async close(): Promise<void> {
    this.session?.end();
    this.listener.close();
    try {
      unlinkSync(this.options.socketPath);
    } catch {
      // Already gone.
    }
  }

  private warnNoInterrupts(): void {
    if (this.warnedNoInterrupts || this.irqs.armed > 0) return;
    this.warnedNoInterrupts = true;
    this.log(
      this.passesFds
        ? "vfio-user: an interrupt was raised before the guest enabled MSI-X: it went nowhere"
        : "vfio-user: an interrupt was raised but INTERRUPTS ARE OFF (no fd passing): only polling hosts see completions",
    );
  }
}

/** Starts a server on `socketPath`; QEMU may connect once this resolves. */
export function startVfioUserServer(options: VfioUserServerOptions): Promise<VfioUserNvmeServer> {
  return VfioUserNvmeServer.start(options);
}
