import {
  type CompletionQueueEntry,
  CQE_SIZE,
  cqePhase,
  cqHeadDoorbellOffset,
  createSqeEncoder,
  decodeCqe,
  describeCommand,
  SQE_SIZE,
  type SubmissionQueueEntry,
  sqTailDoorbellOffset,
  U16_MAX,
} from "@bplab/nvme-spec";
import type { Target } from "../target.js";
import { CommandAbortedByResetError, HostTimeoutError, HostUsageError } from "./errors.js";
import { Mutex } from "./mutex.js";
import type { Transcript } from "./transcript.js";

/** The admin queue is queue 0 (§3.3.1). */
const ADMIN_QUEUE_ID = 0;
/** CIDs are 16 bits; FFFFh is avoided because error logs use it for "no command". */
const HIGHEST_USABLE_CID = U16_MAX - 1;

interface PendingCommand {
  /** The command as submitted; described only for an error message (issue 13: not per command). */
  readonly entry: SubmissionQueueEntry;
  completion?: CompletionQueueEntry;
  abortedBy?: Error;
  /** The waiter gave up (HostTimeoutError); a late completion frees the CID and is noted. */
  abandoned?: boolean;
}

export interface AdminQueueSettings {
  readonly sqAddr: bigint;
  readonly cqAddr: bigint;
  /** Entries in each of the two queues. */
  readonly depth: number;
  /** CAP.DSTRD. */
  readonly dstrd: number;
  /** How many settle()+CQ checks a command may take before HostTimeoutError. */
  readonly maxPolls: number;
}

/**
 * The host side of the admin SQ/CQ pair: writes SQEs, rings the SQ tail doorbell, polls the CQ
 * through memRead (phase tag, wrap-around), rings the CQ head doorbell and hands each completion to
 * the command that waits for it (by CID). Several commands may be in flight at once.
 */
export class AdminQueue {
  private sqTail = 0;
  private sqHead = 0;
  private cqHead = 0;
  private expectedPhase: 0 | 1 = 1;
  private readonly pending = new Map<number, PendingCommand>();
  private readonly submitLock = new Mutex();
  private readonly pumpLock = new Mutex();
  /** One reused SQE buffer: the target has copied it once memWrite resolves (issue 13). */
  private readonly encodeSqe = createSqeEncoder();

  constructor(
    private readonly target: Target,
    private settings: AdminQueueSettings,
    private readonly transcript: Transcript,
  ) {}

  get depth(): number {
    return this.settings.depth;
  }

  /** CIDs of the commands submitted and not yet completed. */
  get inFlightCids(): number[] {
    return [...this.pending.keys()];
  }

  /**
   * Forgets everything the device knew about the queues (after CC.EN 1→0 or a power cycle): indices
   * back to 0, phase back to 1, the CQ memory zeroed so old entries cannot look new, and every
   * command still in flight fails with CommandAbortedByResetError.
   */
  async reset(settings: AdminQueueSettings = this.settings): Promise<void> {
    this.settings = settings;
    for (const [cid, command] of this.pending) {
      command.abortedBy = new CommandAbortedByResetError(`${describeAdmin(command)} (cid ${cid})`);
    }
    this.pending.clear();
    this.sqTail = 0;
    this.sqHead = 0;
    this.cqHead = 0;
    this.expectedPhase = 1;
    await this.target.memWrite(settings.cqAddr, new Uint8Array(settings.depth * CQE_SIZE));
  }

  /** Submits one command (its `cid` is replaced by a free one) and waits for its completion. */
  async submit(sqe: SubmissionQueueEntry): Promise<CompletionQueueEntry> {
    const command = await this.submitLock.runExclusive(async () => {
      await this.waitForFreeSlot();
      const cid = this.allocateCid();
      const entry = { ...sqe, cid };
      const pending: PendingCommand = { entry };
      const slot = this.sqTail;
      await this.target.memWrite(this.settings.sqAddr + BigInt(slot * SQE_SIZE), this.encodeSqe(entry));
      this.pending.set(cid, pending);
      this.sqTail = (slot + 1) % this.settings.depth;
      this.transcript.command(entry);
      await this.target.mmioWrite32(sqTailDoorbellOffset(ADMIN_QUEUE_ID, this.settings.dstrd), this.sqTail);
      return pending;
    });
    return this.awaitCompletion(command);
  }

  private async awaitCompletion(command: PendingCommand): Promise<CompletionQueueEntry> {
    for (let poll = 0; poll < this.settings.maxPolls; poll++) {
      await this.target.settle();
      await this.pump();
      if (command.abortedBy) throw command.abortedBy;
      if (command.completion) return command.completion;
    }
    command.abandoned = true;
    throw new HostTimeoutError(`the completion of ${describeAdmin(command)}`, this.settings.maxPolls);
  }

  /** One sweep of the CQ: consumes every entry whose phase tag is new, then rings the head doorbell. */
  private pump(): Promise<void> {
    return this.pumpLock.runExclusive(async () => {
      let consumed = 0;
      for (;;) {
        const addr = this.settings.cqAddr + BigInt(this.cqHead * CQE_SIZE);
        const slot = await this.target.memRead(addr, CQE_SIZE);
        // Every sweep ends on a slot the device has not written: look at its phase tag alone.
        if (cqePhase(slot) !== this.expectedPhase) break;
        const cqe = decodeCqe(slot);
        consumed++;
        this.cqHead++;
        if (this.cqHead === this.settings.depth) {
          this.cqHead = 0;
          this.expectedPhase = this.expectedPhase === 1 ? 0 : 1;
        }
        this.sqHead = cqe.sqhd;
        this.deliver(cqe);
      }
      if (consumed > 0) {
        await this.target.mmioWrite32(cqHeadDoorbellOffset(ADMIN_QUEUE_ID, this.settings.dstrd), this.cqHead);
      }
    });
  }

  private deliver(cqe: CompletionQueueEntry): void {
    this.transcript.completion(cqe);
    const command = this.pending.get(cqe.cid);
    if (!command) {
      this.transcript.note(`completion for cid ${cqe.cid}, which no command is waiting for`);
      return;
    }
    this.pending.delete(cqe.cid);
    if (command.abandoned) this.transcript.note(`late completion for cid ${cqe.cid} after the host gave up`);
    command.completion = cqe;
  }

  /** The SQ is full when advancing the tail would make it equal the head the device last reported. */
  private async waitForFreeSlot(): Promise<void> {
    for (let poll = 0; poll < this.settings.maxPolls; poll++) {
      if ((this.sqTail + 1) % this.settings.depth !== this.sqHead) return;
      await this.target.settle();
      await this.pump();
    }
    throw new HostTimeoutError("a free admin submission queue slot", this.settings.maxPolls);
  }

  /** The lowest CID no command in flight uses, so CIDs are reused as soon as they complete. */
  private allocateCid(): number {
    for (let cid = 0; cid <= HIGHEST_USABLE_CID; cid++) {
      if (!this.pending.has(cid)) return cid;
    }
    throw new HostUsageError("cid", "every command identifier is in flight");
  }
}

function describeAdmin(command: PendingCommand): string {
  return describeCommand(command.entry, { admin: true });
}
