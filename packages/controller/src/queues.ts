import {
  CQE_DW2_LAYOUT,
  CQE_DW3_LAYOUT,
  CQE_SIZE,
  CqeOffset,
  SQE_SIZE,
  type SubmissionQueueEntry,
  statusFieldCodec,
} from "@bplab/nvme-spec";
import { DmaError, type HostMemory, type InterruptSink } from "./ports.js";
import { readHostInto } from "./prp.js";
import { SqeView } from "./sqe-view.js";
import type { CommandResult } from "./status.js";
import type { TraceBus } from "./trace.js";

/**
 * Submission and completion queues in host memory, driven by doorbells (NVMe Base §3.3.1, §4).
 * The engine fetches SQEs, hands them to `execute`, and posts CQEs with the phase tag. A full CQ
 * stops fetching from the SQs that complete into it until the host moves the CQ head.
 */

export interface SubmissionQueue {
  readonly qid: number;
  readonly base: bigint;
  readonly entries: number;
  readonly cqid: number;
  head: number;
  tail: number;
  /** Host address of each slot, computed on first use (a bigint sum allocates every time). */
  readonly slotAddresses: bigint[];
}

export interface CompletionQueue {
  readonly qid: number;
  readonly base: bigint;
  readonly entries: number;
  readonly interruptsEnabled: boolean;
  readonly vector: number;
  head: number;
  tail: number;
  phase: 0 | 1;
  readonly slotAddresses: bigint[];
}

/** INTMS/INTMC hold one mask bit per vector for vectors 0-31. */
const INTERRUPT_MASK_BITS = 32;

/** The admin queues are QID 0. */
export const ADMIN_QID = 0;

/** `undefined` means the command completes later (an Asynchronous Event Request). */
export type CommandExecutor = (sqid: number, sqe: SubmissionQueueEntry) => CommandResult | undefined;

export interface QueueEngineDeps {
  readonly memory: HostMemory;
  readonly interrupts: InterruptSink | undefined;
  readonly trace: TraceBus;
  readonly execute: CommandExecutor;
  /** Called when the queues can no longer work (SQE fetch or CQE post hit unmapped memory). */
  readonly onFatal: (reason: string) => void;
}

export class QueueEngine {
  readonly submissionQueues = new Map<number, SubmissionQueue>();
  readonly completionQueues = new Map<number, CompletionQueue>();
  /** INTMS/INTMC mask, one bit per vector (pin-based and MSI interrupts only). */
  private interruptMask = 0;
  private halted = false;
  private readonly deps: QueueEngineDeps;
  /** SQ IDs in fetch order (admin first), kept sorted as queues come and go. */
  private fetchOrder: number[] = [];
  /** The entry being executed, read in place; see SqeView for why it is reused. */
  private readonly sqe = new SqeView();
  /** The completion being posted, built in place for the same reason. */
  private readonly cqe = new DataView(new ArrayBuffer(CQE_SIZE));
  private readonly cqeBytes = new Uint8Array(this.cqe.buffer);
  /** CQE status fields by (SCT, SC, DNR): encoded once each, then looked up. */
  private readonly statusFields = new Map<number, number>();

  constructor(deps: QueueEngineDeps) {
    this.deps = deps;
  }

  /** Removes every queue (Controller Level Reset, power cycle) and clears interrupts. */
  reset(): void {
    for (const cq of this.completionQueues.values()) this.deassert(cq);
    this.submissionQueues.clear();
    this.completionQueues.clear();
    this.fetchOrder = [];
    this.interruptMask = 0;
    this.halted = false;
  }

  createCompletionQueue(cq: Omit<CompletionQueue, "head" | "tail" | "phase" | "slotAddresses">): void {
    this.completionQueues.set(cq.qid, { ...cq, head: 0, tail: 0, phase: 1, slotAddresses: [] });
  }

  createSubmissionQueue(sq: Omit<SubmissionQueue, "head" | "tail" | "slotAddresses">): void {
    this.submissionQueues.set(sq.qid, { ...sq, head: 0, tail: 0, slotAddresses: [] });
    this.fetchOrder = [...this.submissionQueues.keys()].sort((a, b) => a - b);
  }

  deleteSubmissionQueue(qid: number): void {
    this.submissionQueues.delete(qid);
    this.fetchOrder = this.fetchOrder.filter((id) => id !== qid);
  }

  deleteCompletionQueue(qid: number): void {
    const cq = this.completionQueues.get(qid);
    if (cq) this.deassert(cq);
    this.completionQueues.delete(qid);
  }

  /** Whether some SQ still completes into this CQ (it cannot be deleted then). */
  isCompletionQueueInUse(cqid: number): boolean {
    for (const sq of this.submissionQueues.values()) if (sq.cqid === cqid) return true;
    return false;
  }

  /**
   * SQ y Tail Doorbell. Returns whether the write was accepted; an index outside the queue or a
   * queue that does not exist is ignored (and traced by the caller).
   */
  writeSubmissionTail(qid: number, tail: number): boolean {
    const sq = this.submissionQueues.get(qid);
    if (!sq || tail >= sq.entries) return false;
    sq.tail = tail;
    return true;
  }

  /**
   * CQ y Head Doorbell. The new head may not pass entries the controller has not posted.
   * Returns whether the write was accepted.
   */
  writeCompletionHead(qid: number, head: number): boolean {
    const cq = this.completionQueues.get(qid);
    if (!cq || head >= cq.entries) return false;
    const outstanding = (cq.tail - cq.head + cq.entries) % cq.entries;
    const consumed = (head - cq.head + cq.entries) % cq.entries;
    if (consumed > outstanding) return false;
    cq.head = head;
    if (cq.head === cq.tail) this.deassert(cq);
    return true;
  }

  /** Whether any SQ has commands the engine could fetch now. */
  hasRunnableWork(): boolean {
    if (this.halted) return false;
    for (const sq of this.submissionQueues.values()) if (this.canFetch(sq)) return true;
    return false;
  }

  /**
   * Fetches and executes commands, one per SQ per round (round-robin, admin first), until no SQ
   * can make progress. Returns the number of commands executed.
   */
  processAvailable(): number {
    let executed = 0;
    let progressed = true;
    while (progressed && !this.halted) {
      progressed = false;
      // A command may delete queues (Delete I/O SQ), so the order is read once per round.
      const order = this.fetchOrder;
      for (let index = 0; index < order.length; index++) {
        const qid = order[index]!;
        const sq = this.submissionQueues.get(qid);
        if (!sq || !this.canFetch(sq) || this.halted) continue;
        if (!this.fetch(sq)) return executed;
        executed += 1;
        progressed = true;
        const cid = this.sqe.cid;
        const result = this.deps.execute(qid, this.sqe);
        if (result !== undefined) this.complete(qid, cid, result);
      }
    }
    return executed;
  }

  /** Posts a completion for a command of SQ `sqid` (also used for deferred AER completions). */
  complete(sqid: number, cid: number, result: CommandResult): void {
    const sq = this.submissionQueues.get(sqid);
    const cq = sq ? this.completionQueues.get(sq.cqid) : undefined;
    if (!sq || !cq || this.halted) return;
    const cqe = this.cqe;
    cqe.setUint32(CqeOffset.DW0, result.dw0 >>> 0, true);
    cqe.setUint32(CqeOffset.DW1, 0, true);
    cqe.setUint32(
      CqeOffset.DW2,
      (sq.head << CQE_DW2_LAYOUT.sqhd.lsb) | (sqid << CQE_DW2_LAYOUT.sqid.lsb),
      true,
    );
    cqe.setUint32(
      CqeOffset.DW3,
      (cid << CQE_DW3_LAYOUT.cid.lsb) |
        (cq.phase << CQE_DW3_LAYOUT.phase.lsb) |
        (this.statusField(result) << CQE_DW3_LAYOUT.status.lsb),
      true,
    );
    try {
      this.deps.memory.write(slotAddress(cq, cq.tail, CQE_SIZE), this.cqeBytes);
    } catch (error) {
      if (!(error instanceof DmaError)) throw error;
      this.halt(`posting a completion to CQ ${cq.qid} hit unmapped host memory: ${error.message}`);
      return;
    }
    cq.tail = (cq.tail + 1) % cq.entries;
    if (cq.tail === 0) cq.phase = cq.phase === 1 ? 0 : 1;
    this.raise(cq);
  }

  /** INTMS (write 1 to set mask bits). */
  maskInterrupts(bits: number): void {
    this.interruptMask = (this.interruptMask | bits) >>> 0;
  }

  /** INTMC (write 1 to clear mask bits): an unmasked vector with pending entries fires again. */
  unmaskInterrupts(bits: number): void {
    this.interruptMask = (this.interruptMask & ~bits) >>> 0;
    for (const cq of this.completionQueues.values()) if (cq.head !== cq.tail) this.raise(cq);
  }

  get interruptMaskBits(): number {
    return this.interruptMask;
  }

  private canFetch(sq: SubmissionQueue): boolean {
    if (sq.head === sq.tail) return false;
    const cq = this.completionQueues.get(sq.cqid);
    if (!cq) return false;
    // One slot always stays empty: a CQ is full when tail + 1 == head.
    return (cq.tail + 1) % cq.entries !== cq.head;
  }

  /** The CQE status field (SC, SCT, DNR; CRD and M are 0) of a result, encoded by nvme-spec once. */
  private statusField(result: CommandResult): number {
    const key = (result.status.sct << 9) | (result.status.sc << 1) | (result.dnr ? 1 : 0);
    let field = this.statusFields.get(key);
    if (field === undefined) {
      field = statusFieldCodec.encode({
        sct: result.status.sct,
        sc: result.status.sc,
        crd: 0,
        more: false,
        dnr: result.dnr,
      });
      this.statusFields.set(key, field);
    }
    return field;
  }

  /** Reads the SQ head entry into `this.sqe`; false (and the queues halt) when that fails. */
  private fetch(sq: SubmissionQueue): boolean {
    try {
      readHostInto(this.deps.memory, slotAddress(sq, sq.head, SQE_SIZE), this.sqe.bytes);
    } catch (error) {
      if (!(error instanceof DmaError)) throw error;
      this.halt(`fetching from SQ ${sq.qid} hit unmapped host memory: ${error.message}`);
      return false;
    }
    sq.head = (sq.head + 1) % sq.entries;
    return true;
  }

  private halt(reason: string): void {
    this.halted = true;
    this.deps.onFatal(reason);
  }

  private raise(cq: CompletionQueue): void {
    if (!cq.interruptsEnabled || !this.deps.interrupts) return;
    if (this.isMasked(cq.vector)) return;
    this.deps.interrupts.assert(cq.vector);
  }

  private deassert(cq: CompletionQueue): void {
    if (cq.interruptsEnabled && this.deps.interrupts) this.deps.interrupts.deassert(cq.vector);
  }

  private isMasked(vector: number): boolean {
    return vector < INTERRUPT_MASK_BITS && ((this.interruptMask >>> vector) & 1) === 1;
  }
}

/** The host address of slot `index` of a queue of `entryBytes`-byte entries. */
function slotAddress(
  queue: { readonly base: bigint; readonly slotAddresses: bigint[] },
  index: number,
  entryBytes: number,
): bigint {
  let address = queue.slotAddresses[index];
  if (address === undefined) {
    address = queue.base + BigInt(index * entryBytes);
    queue.slotAddresses[index] = address;
  }
  return address;
}
