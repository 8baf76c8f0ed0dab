import {
  type BpPair,
  bpinfoCodec,
  ccCodec,
  cstsCodec,
  type DoorbellTarget,
  decodeDoorbellOffset,
  decodeDoorbellValue,
  isSuccess,
  memoryPageSizeBytes,
  ShutdownNotification,
  ShutdownStatus,
  Status,
  type SubmissionQueueEntry,
} from "@bplab/nvme-spec";
import { executeAdminCommand, SUPPORTED_ADMIN_OPCODES } from "./admin/index.js";
import { BootPartitionReader } from "./boot-partitions.js";
import type {
  AsyncEventRequests,
  CommandContext,
  DeviceStatistics,
  FirmwareSession,
} from "./command-context.js";
import {
  type ControllerConfig,
  checkStores,
  maxTransferBytes,
  type ResolvedConfig,
  resolveControllerConfig,
} from "./config.js";
import { describeCommandForTrace, describeResultForTrace } from "./describe.js";
import { ErrorLog } from "./error-log.js";
import { ControllerConfigError, describeThrown } from "./errors.js";
import { FeatureValues } from "./feature-values.js";
import { executeNvmCommand } from "./nvm-io.js";
import type {
  BootPartitionStore,
  Clock,
  HostMemory,
  InterruptSink,
  NamespaceStore,
  Scheduler,
} from "./ports.js";
import { ADMIN_QID, QueueEngine } from "./queues.js";
import { type QuirkProfileName, type QuirkSwitches, resolveQuirks } from "./quirks.js";
import { RegisterFile } from "./register-file.js";
import { buildCap, checkEnable, MPSMIN } from "./registers.js";
import { type CommandResult, failure } from "./status.js";
import { type BootPartitionSubsystem, type SubsystemMember, subsystemOf } from "./subsystem.js";
import { ImmediateScheduler, systemClock } from "./time.js";
import { TraceBus } from "./trace.js";
import { type ReportedLockStates, WriteProtection } from "./write-protection.js";

export interface ControllerOptions {
  hostMemory: HostMemory;
  bootPartitions: BootPartitionStore;
  namespace?: NamespaceStore;
  interrupts?: InterruptSink;
  clock?: Clock;
  scheduler?: Scheduler;
  config?: Partial<ControllerConfig>;
  quirks?: QuirkProfileName | Partial<QuirkSwitches>;
}

/** What happened to the controller's volatile state, for the trace and for tests. */
type ResetCause = "cc.en" | "function-reset" | "power-cycle";

/**
 * The NVMe controller core: a BAR0 register file with side effects, admin and I/O queues, two
 * Boot Partitions and FID 85h write protection, behind ports (docs/architecture.md). It never
 * throws for anything a host can send: bad input ends in a status, a BRS value or CSTS.CFS.
 */
export class NvmeController {
  readonly trace: TraceBus;
  readonly config: ResolvedConfig;
  readonly quirks: QuirkSwitches;
  private readonly memory: HostMemory;
  private readonly bootPartitions: BootPartitionStore;
  private readonly namespace: NamespaceStore | undefined;
  private readonly clock: Clock;
  private readonly scheduler: Scheduler;
  private readonly registers: RegisterFile;
  private readonly queues: QueueEngine;
  private readonly bootReader: BootPartitionReader;
  private readonly features = new FeatureValues();
  private readonly firmwareSession: FirmwareSession = { newImageOnNextDownload: false };
  private readonly asyncEvents: AsyncEventRequests = { outstanding: [] };
  private readonly errorLog = new ErrorLog();
  private readonly statistics: DeviceStatistics;
  /** The BPs' subsystem, shared with every controller on the same store (MC-43). */
  private readonly subsystem: BootPartitionSubsystem;
  private readonly writeProtection: WriteProtection;
  /** Held here so the subsystem's weak reference lives exactly as long as this controller. */
  private readonly subsystemMember: SubsystemMember = {
    onSubsystemPowerCycle: () => this.guard("powerCycle", undefined, () => this.loseVolatileState()),
  };
  /** The command context of the current enabled session (CC.EN=1, CSTS.RDY=1). */
  private session: CommandContext | undefined;
  /** Bumped by every reset so queue work scheduled before it never runs. */
  private sessionGeneration = 0;
  private queueWorkScheduled = false;
  private readonly doorbellTargets = new Map<number, DoorbellTarget>();
  /** The session generation the pending queue work was scheduled in. */
  private queueWorkGeneration = 0;

  constructor(options: ControllerOptions) {
    this.config = resolveControllerConfig(options.config);
    this.quirks = resolveQuirks(options.quirks);
    checkStores(options.bootPartitions, options.namespace, this.config);
    this.memory = options.hostMemory;
    this.bootPartitions = options.bootPartitions;
    this.namespace = options.namespace;
    this.clock = options.clock ?? systemClock;
    this.scheduler = options.scheduler ?? new ImmediateScheduler();
    this.trace = new TraceBus(this.clock);
    this.statistics = {
      bytesRead: 0,
      bytesWritten: 0,
      hostReadCommands: 0,
      hostWriteCommands: 0,
      powerCycles: 0,
      poweredOnAtMs: this.clock.nowMs(),
    };
    this.subsystem = subsystemOf(this.bootPartitions, this.config.rpmbProtection);
    this.writeProtection = new WriteProtection(this.subsystem.writeProtection, this.trace);
    this.subsystem.attach(this.subsystemMember);
    this.queues = new QueueEngine({
      memory: this.memory,
      interrupts: options.interrupts,
      trace: this.trace,
      execute: (sqid, sqe) => this.execute(sqid, sqe),
      onFatal: (reason) => this.fatal(reason),
    });
    this.bootReader = new BootPartitionReader({
      store: this.bootPartitions,
      memory: this.memory,
      scheduler: this.scheduler,
      trace: this.trace,
      quirks: this.quirks,
      onInternalError: (where, thrown) => this.traceInternalError(where, thrown),
    });
    this.registers = new RegisterFile({
      cap: buildCap(this.config),
      trace: this.trace,
      bootReader: this.bootReader,
      queues: this.queues,
      bpinfo: () =>
        bpinfoCodec.encode({
          bpsz: this.bootReader.bpsz,
          brs: this.bootReader.bootReadStatus,
          abpid: this.bootPartitions.activeBpid,
        }),
      onCcWrite: (previous, next) => this.onCcWrite(previous, next),
      onDoorbell: (offset, value) => this.onDoorbell(offset, value),
    });
  }

  // The four MMIO entry points are the per-command hot path (two doorbells per command), so each
  // has its own try/catch instead of a closure handed to guard() (issue 13).
  mmioRead32(offset: number): number {
    try {
      return this.registers.read32(offset);
    } catch (thrown) {
      this.traceInternalError("mmioRead32", thrown);
      return 0;
    }
  }

  mmioRead64(offset: number): bigint {
    try {
      return this.registers.read64(offset);
    } catch (thrown) {
      this.traceInternalError("mmioRead64", thrown);
      return 0n;
    }
  }

  mmioWrite32(offset: number, value: number): void {
    try {
      this.registers.write32(offset, value);
    } catch (thrown) {
      this.traceInternalError("mmioWrite32", thrown);
    }
  }

  mmioWrite64(offset: number, value: bigint): void {
    try {
      this.registers.write64(offset, value);
    } catch (thrown) {
      this.traceInternalError("mmioWrite64", thrown);
    }
  }

  /** FLR / DEVICE_RESET: a Controller Level Reset that also clears CC, AQA, ASQ and ACQ (MC-40). */
  controllerReset(): void {
    this.guard("controllerReset", undefined, () => this.reset("function-reset"));
  }

  /**
   * Power cycle of the subsystem (MC-41, MC-43): every controller on this Boot Partition store
   * loses its volatile state, and Write Unlocked and WLUPC become Write Locked.
   */
  powerCycle(): void {
    this.guard("powerCycle", undefined, () => {
      this.subsystem.powerCycleMembers();
      this.writeProtection.onPowerCycle();
    });
  }

  private loseVolatileState(): void {
    this.reset("power-cycle");
    this.errorLog.clear();
    this.statistics.powerCycles += 1;
    this.statistics.poweredOnAtMs = this.clock.nowMs();
  }

  /**
   * RPMB mode only: sets the BPLOCK bits as an Authenticated RPMB Device Configuration Block write
   * would (Security Send is not modelled). A reset or power cycle locks an unlocked BP again
   * (MC-34). Returns false, changing nothing, when the controller is not in RPMB mode.
   */
  writeRpmbBpLocks(locked: BpPair<boolean>): boolean {
    return this.guard("writeRpmbBpLocks", false, () => {
      if (!Array.isArray(locked) || locked.length !== 2 || !locked.every((bit) => typeof bit === "boolean")) {
        throw new ControllerConfigError("locked", "must be [boolean, boolean] (BP0, BP1)", locked);
      }
      return this.writeProtection.writeRpmbBpLocks(locked);
    });
  }

  /** The FID 85h states as a Get Features (SEL=current) would report them. */
  getBpLockStates(): ReportedLockStates {
    return this.writeProtection.reported();
  }

  private onCcWrite(previous: number, next: number): void {
    const before = ccCodec.decode(previous);
    const after = ccCodec.decode(next);
    if (before.en && !after.en) this.reset("cc.en");
    else if (!before.en && after.en) this.enable();
    if (before.shn === ShutdownNotification.None && after.shn !== ShutdownNotification.None) {
      this.namespace?.flush();
      this.registers.setShutdownStatus(ShutdownStatus.Complete);
      this.trace.emit("shutdown", { type: after.shn === ShutdownNotification.Abrupt ? "abrupt" : "normal" });
    } else if (before.shn !== ShutdownNotification.None && after.shn === ShutdownNotification.None) {
      this.registers.setShutdownStatus(ShutdownStatus.Normal);
    }
  }

  /** CC.EN 0→1: validate the setup (MC-60) and create the admin queues, or set CSTS.CFS. */
  private enable(): void {
    const { cap, cc, aqa, asq, acq } = this.registers.snapshot();
    const check = checkEnable(cap, cc, aqa, asq, acq);
    if (!check.ok) {
      this.fatal(check.reason);
      return;
    }
    const { setup } = check;
    this.queues.reset();
    this.queues.createCompletionQueue({
      qid: ADMIN_QID,
      base: setup.completionBase,
      entries: setup.completionEntries,
      interruptsEnabled: true,
      vector: 0,
    });
    this.queues.createSubmissionQueue({
      qid: ADMIN_QID,
      base: setup.submissionBase,
      entries: setup.submissionEntries,
      cqid: ADMIN_QID,
    });
    this.session = {
      config: this.config,
      quirks: this.quirks,
      trace: this.trace,
      clock: this.clock,
      memory: this.memory,
      bootPartitions: this.bootPartitions,
      namespace: this.namespace,
      queues: this.queues,
      pageSize: setup.pageSize,
      maxTransferBytes: maxTransferBytes(this.config, memoryPageSizeBytes(MPSMIN)),
      writeProtection: this.writeProtection,
      features: this.features,
      firmware: this.firmwareSession,
      asyncEvents: this.asyncEvents,
      statistics: this.statistics,
      errorLog: this.errorLog,
      supportedAdminOpcodes: SUPPORTED_ADMIN_OPCODES,
    };
    this.registers.setStatus(cstsCodec.encode({ rdy: true }));
    this.trace.emit("controller.ready", {
      pageSize: setup.pageSize,
      adminSqEntries: setup.submissionEntries,
      adminCqEntries: setup.completionEntries,
    });
  }

  /**
   * A Controller Level Reset (MC-40) or, for "power-cycle", the volatile half of MC-41. Locks
   * and ABPID are kept here; the staged image, a BP read and queue state are dropped.
   */
  private reset(cause: ResetCause): void {
    this.sessionGeneration += 1;
    this.queueWorkScheduled = false;
    this.session = undefined;
    this.queues.reset();
    this.asyncEvents.outstanding.length = 0;
    this.bootReader.reset();
    const staged = this.bootPartitions.stagedLength;
    this.bootPartitions.discardStaged();
    this.firmwareSession.newImageOnNextDownload = false;
    this.features.reset();
    this.registers.reset({ keepAdminQueueRegisters: cause === "cc.en" });
    this.writeProtection.onControllerReset();
    this.trace.emit(cause === "power-cycle" ? "power-cycle" : "reset", {
      cause,
      discardedStagedBytes: staged,
      locks: this.writeProtection.names(),
    });
  }

  private fatal(reason: string): void {
    this.registers.setStatus(this.registers.status | cstsCodec.encode({ cfs: true }));
    this.session = undefined;
    this.trace.emit("controller.fatal", { reason });
  }

  private onDoorbell(offset: number, value: number): void {
    const target = this.doorbellTarget(offset);
    if (target === undefined) return;
    const index = decodeDoorbellValue(value);
    if (this.session === undefined) {
      this.trace.emit("doorbell.ignored", { ...target, value: index, reason: "controller not ready" });
      return;
    }
    const accepted =
      target.kind === "sq-tail"
        ? this.queues.writeSubmissionTail(target.qid, index)
        : this.queues.writeCompletionHead(target.qid, index);
    if (this.trace.active)
      this.trace.emit(accepted ? "doorbell" : "doorbell.invalid", { ...target, value: index });
    if (!accepted) return;
    this.doorbellTargets.set(offset, target);
    this.scheduleQueueWork();
  }

  /**
   * Which doorbell an offset is (CAP.DSTRD=0). Decoded targets of doorbells that were accepted are
   * kept, so the two doorbells of every command allocate nothing; the map is bounded by the queues
   * that ever existed, whatever offsets a host writes.
   */
  private doorbellTarget(offset: number): DoorbellTarget | undefined {
    return this.doorbellTargets.get(offset) ?? decodeDoorbellOffset(offset, 0);
  }

  private scheduleQueueWork(): void {
    if (this.queueWorkScheduled || !this.queues.hasRunnableWork()) return;
    this.queueWorkScheduled = true;
    this.queueWorkGeneration = this.sessionGeneration;
    this.scheduler.defer(this.runQueueWork);
  }

  /** The deferred queue work: one function for the controller's life, not a closure per doorbell. */
  private readonly runQueueWork = (): void => {
    // A reset since the work was scheduled cleared queueWorkScheduled; this run is stale then.
    if (this.queueWorkGeneration !== this.sessionGeneration) return;
    this.queueWorkScheduled = false;
    try {
      this.queues.processAvailable();
    } catch (thrown) {
      // A failure outside any one command is a controller bug: stop the queues (CSTS.CFS).
      this.traceInternalError("queue processing", thrown);
      this.fatal(`internal error while processing queues: ${describeThrown(thrown)}`);
    }
  };

  /** Runs one command; any exception becomes Internal Error plus a trace event. */
  private execute(sqid: number, sqe: SubmissionQueueEntry): CommandResult | undefined {
    const session = this.session;
    // Describing a command costs more than running it, and even the closure that would describe
    // it is an allocation: neither happens unless someone listens (issue 13).
    if (this.trace.active) this.trace.emit("command", () => describeCommandForTrace(sqid, sqe));
    let result: CommandResult | undefined;
    try {
      if (session === undefined) result = failure(Status.CommandSequenceError, "controller not ready");
      else if (sqe.fuse !== 0)
        result = failure(Status.InvalidField, "fused operations are not supported (FUSES=0)");
      else if (sqe.psdt !== 0) result = failure(Status.InvalidField, "SGLs are not supported (SGLS=0)");
      else if (sqid === ADMIN_QID) result = executeAdminCommand(session, sqid, sqe);
      else result = executeNvmCommand(session, sqe);
    } catch (thrown) {
      this.traceInternalError(`command opcode ${sqe.opcode}`, thrown);
      result = failure(Status.InternalError, describeThrown(thrown), { retryable: true });
    }
    if (result === undefined) {
      if (this.trace.active) this.trace.emit("command.pending", { sqid, cid: sqe.cid });
      return undefined;
    }
    if (!isSuccess(result.status)) {
      this.errorLog.record({ sqid, cid: sqe.cid, status: result.status, dnr: result.dnr, nsid: sqe.nsid });
    }
    if (this.trace.active) {
      const completed = result;
      this.trace.emit("completion", () => describeResultForTrace(sqid, sqe, completed));
    }
    return result;
  }

  private traceInternalError(where: string, thrown: unknown): void {
    this.trace.emit("internal-error", { where, error: describeThrown(thrown) });
  }

  /** The never-throw boundary of every public entry point. */
  private guard<T>(where: string, fallback: T, action: () => T): T {
    try {
      return action();
    } catch (thrown) {
      this.traceInternalError(where, thrown);
      return fallback;
    }
  }
}
