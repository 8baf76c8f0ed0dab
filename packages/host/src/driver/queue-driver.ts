import {
  ADMIN_QUEUE_MAX_ENTRIES,
  ADMIN_QUEUE_MIN_ENTRIES,
  aqaCodec,
  BASE_ADDRESS_ALIGNMENT_BYTES,
  type Cap,
  CcAms,
  CcCss,
  type CompletionQueueEntry,
  CQE_SIZE,
  CQE_SIZE_LOG2,
  capCodec,
  ccCodec,
  cstsCodec,
  encodeAcq,
  encodeAsq,
  formatStatus,
  isSuccess,
  memoryPageSizeBytes,
  RegisterOffset,
  ShutdownNotification,
  SQE_SIZE,
  SQE_SIZE_LOG2,
  type SubmissionQueueEntry,
} from "@bplab/nvme-spec";
import type { Target } from "../target.js";
import { AdminQueue, type AdminQueueSettings } from "./admin-queue.js";
import { ControllerFatalError, HostTimeoutError } from "./errors.js";
import { Mutex } from "./mutex.js";
import { buildPrps, encodePrpListPage, prpListPageCount } from "./prp.js";
import { Transcript } from "./transcript.js";

export interface DriverOptions {
  /** Entries in the admin SQ and CQ; clamped to 2..min(4096, CAP.MQES+1). Default 32. */
  adminQueueDepth?: number;
  /** Polls (settle() + a check) before HostTimeoutError. Counts polls, not time. Default 10 000. */
  maxPolls?: number;
  /** Where commands and completions are recorded; a new one by default. */
  transcript?: Transcript;
  /**
   * Fill device-to-host buffers with this byte before each command, so bytes the device did not
   * write cannot pass for data it did. Off by default (it costs a memWrite per command).
   */
  poisonReadBuffersWith?: number;
}

export const DEFAULT_ADMIN_QUEUE_DEPTH = 32;
export const DEFAULT_MAX_POLLS = 10_000;

/** The result of any admin command: the raw completion plus the usual questions about it. */
export interface CommandOutcome {
  readonly completion: CompletionQueueEntry;
  readonly ok: boolean;
  /** "0h/00h", "1h/1Eh", … */
  readonly status: string;
  readonly dw0: number;
}

export interface DataOutcome extends CommandOutcome {
  /** What the host buffer holds after the command (for a failed command: whatever is there). */
  readonly data: Uint8Array;
}

export type DataTransfer =
  | { readonly direction: "host-to-device"; readonly data: Uint8Array }
  | { readonly direction: "device-to-host"; readonly length: number };

interface TransferBuffer {
  readonly addr: bigint;
  readonly capacity: number;
  readonly listPageAddrs: readonly bigint[];
}

export function outcomeOf(completion: CompletionQueueEntry): CommandOutcome {
  const ok = isSuccess(completion.status);
  return { completion, ok, status: formatStatus(completion.status), dw0: completion.dw0 };
}

/**
 * The queue-level core of the host driver: controller bring-up (CC/CSTS handshake, admin queues),
 * command submission and data buffers with PRPs. It speaks only to the Target interface.
 */
export class QueueDriver {
  readonly transcript: Transcript;
  protected cap!: Cap;
  protected pageSize = BASE_ADDRESS_ALIGNMENT_BYTES;
  private queue?: AdminQueue;
  private queueMemory?: { sqAddr: bigint; cqAddr: bigint; depth: number };
  private transferBuffer?: TransferBuffer;
  private readonly transferLock = new Mutex();
  protected readonly maxPolls: number;

  protected constructor(
    readonly target: Target,
    protected readonly options: DriverOptions,
  ) {
    this.transcript = options.transcript ?? new Transcript();
    this.maxPolls = options.maxPolls ?? DEFAULT_MAX_POLLS;
  }

  /** CAP as read at the last bring-up. */
  get capabilities(): Cap {
    return this.cap;
  }

  /** The memory page size the driver configured (CC.MPS), in bytes. */
  get memoryPageSize(): number {
    return this.pageSize;
  }

  /**
   * Full bring-up: read CAP, disable (CC.EN=0, wait RDY=0), program AQA/ASQ/ACQ, enable with the
   * entry sizes, wait RDY=1. Queue memory is allocated once and reused by later bring-ups unless
   * `reallocate` (a target whose power cycle loses host memory).
   */
  protected async bringUp(reallocate = false): Promise<void> {
    this.cap = capCodec.decode(await this.target.mmioRead64(RegisterOffset.CAP));
    this.pageSize = memoryPageSizeBytes(this.cap.mpsmin);
    await this.disable();
    if (!this.queueMemory || reallocate) {
      const wanted = this.options.adminQueueDepth ?? DEFAULT_ADMIN_QUEUE_DEPTH;
      const depth = Math.max(
        ADMIN_QUEUE_MIN_ENTRIES,
        Math.min(wanted, ADMIN_QUEUE_MAX_ENTRIES, this.cap.mqes + 1),
      );
      const sqAddr = await this.target.alloc(depth * SQE_SIZE, this.pageSize);
      const cqAddr = await this.target.alloc(depth * CQE_SIZE, this.pageSize);
      this.queueMemory = { sqAddr, cqAddr, depth };
      if (reallocate) this.transferBuffer = undefined;
    }
    const settings: AdminQueueSettings = {
      ...this.queueMemory,
      dstrd: this.cap.dstrd,
      maxPolls: this.maxPolls,
    };
    if (this.queue) await this.queue.reset(settings);
    else {
      this.queue = new AdminQueue(this.target, settings, this.transcript);
      await this.queue.reset();
    }
    const zeroBased = settings.depth - 1;
    await this.target.mmioWrite32(RegisterOffset.AQA, aqaCodec.encode({ asqs: zeroBased, acqs: zeroBased }));
    await this.target.mmioWrite64(RegisterOffset.ASQ, encodeAsq({ asqb: settings.sqAddr }));
    await this.target.mmioWrite64(RegisterOffset.ACQ, encodeAcq({ acqb: settings.cqAddr }));
    this.transcript.register(
      `AQA ← ${settings.depth} entries, ASQ ← 0x${settings.sqAddr.toString(16)}, ACQ ← 0x${settings.cqAddr.toString(16)}`,
    );
    await this.enable();
  }

  /** CC.EN=0 and wait for CSTS.RDY=0. A Controller Level Reset when the controller was enabled. */
  async disable(): Promise<void> {
    const cc = ccCodec.decode(await this.target.mmioRead32(RegisterOffset.CC));
    if (cc.en) {
      await this.target.mmioWrite32(RegisterOffset.CC, ccCodec.encode({ ...cc, en: false }));
      this.transcript.register("CC.EN ← 0");
    }
    await this.waitForReady(false, "disable (CC.EN=0)");
  }

  private async enable(): Promise<void> {
    const cc = ccCodec.encode({
      en: true,
      css: CcCss.Nvm,
      mps: this.cap.mpsmin,
      ams: CcAms.RoundRobin,
      shn: ShutdownNotification.None,
      iosqes: SQE_SIZE_LOG2,
      iocqes: CQE_SIZE_LOG2,
    });
    await this.target.mmioWrite32(RegisterOffset.CC, cc);
    this.transcript.register(`CC ← 0x${cc.toString(16)} (EN=1)`);
    await this.waitForReady(true, "enable (CC.EN=1)");
  }

  private async waitForReady(ready: boolean, during: string): Promise<void> {
    for (let poll = 0; poll < this.maxPolls; poll++) {
      const csts = cstsCodec.decode(await this.target.mmioRead32(RegisterOffset.CSTS));
      if (csts.cfs) throw new ControllerFatalError(during);
      if (csts.rdy === ready) return;
      await this.target.settle();
    }
    throw new HostTimeoutError(`CSTS.RDY=${ready ? 1 : 0} during ${during}`, this.maxPolls);
  }

  /** Submits an admin command as given (its CID is replaced) and waits for the completion. */
  async submitAdmin(sqe: SubmissionQueueEntry): Promise<CompletionQueueEntry> {
    if (!this.queue) throw new ControllerFatalError("submitAdmin before attach");
    return this.queue.submit(sqe);
  }

  /**
   * Submits an admin command with a data buffer: the driver owns the buffer, writes host-to-device
   * data into it, fills in PRP1/PRP2 (and PRP list pages), and returns what the buffer holds after
   * the command. Data commands run one at a time because they share the buffer.
   */
  async submitAdminWithData(sqe: SubmissionQueueEntry, transfer: DataTransfer): Promise<DataOutcome> {
    const length = transfer.direction === "host-to-device" ? transfer.data.length : transfer.length;
    return this.transferLock.runExclusive(async () => {
      const buffer = await this.transferBufferFor(length);
      if (transfer.direction === "host-to-device") await this.target.memWrite(buffer.addr, transfer.data);
      else if (this.options.poisonReadBuffersWith !== undefined) {
        await this.target.memWrite(
          buffer.addr,
          new Uint8Array(length).fill(this.options.poisonReadBuffersWith),
        );
      }
      const prps = buildPrps(buffer.addr, length, this.pageSize, buffer.listPageAddrs);
      for (const listPage of prps.listPages) {
        await this.target.memWrite(listPage.addr, encodePrpListPage(listPage, this.pageSize));
      }
      const completion = await this.submitAdmin({ ...sqe, prp1: prps.prp1, prp2: prps.prp2 });
      const data =
        transfer.direction === "device-to-host"
          ? await this.target.memRead(buffer.addr, length)
          : transfer.data;
      return { ...outcomeOf(completion), data };
    });
  }

  /** The shared data buffer, grown (re-allocated) when a transfer needs more than it has. */
  private async transferBufferFor(length: number): Promise<TransferBuffer> {
    if (this.transferBuffer && this.transferBuffer.capacity >= length) return this.transferBuffer;
    const capacity = Math.max(this.pageSize, Math.ceil(length / this.pageSize) * this.pageSize);
    const addr = await this.target.alloc(capacity, this.pageSize);
    const listPageAddrs: bigint[] = [];
    const listPages = prpListPageCount(addr, capacity, this.pageSize);
    for (let i = 0; i < listPages; i++)
      listPageAddrs.push(await this.target.alloc(this.pageSize, this.pageSize));
    this.transferBuffer = { addr, capacity, listPageAddrs };
    return this.transferBuffer;
  }
}
