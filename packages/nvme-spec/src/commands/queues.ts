import { dwordCodec, type Fields, flag, uint } from "../layout.js";
import { AdminOpcode } from "../opcodes.js";
import type { SubmissionQueueEntry } from "../queue/sqe.js";
import type { CommandCommon, DataPointer, ParsedCommon } from "./common.js";
import { commandSqe, parsedCommon, prpDwords } from "./common.js";

/** CDW10 of Create I/O CQ / SQ (Base 2.1 §5.1.4 Fig. 159, §5.1.5 Fig. 163). */
export const CREATE_QUEUE_CDW10_LAYOUT = Object.freeze({
  /** bits 15:0 QID: queue identifier, 1 or above */
  qid: uint(15, 0),
  /** bits 31:16 QSIZE: queue size, entries, 0's based */
  qsize: uint(31, 16),
});
export const createQueueCdw10Codec = dwordCodec("Create Queue.CDW10", CREATE_QUEUE_CDW10_LAYOUT);

/** Create I/O CQ CDW11 (§5.1.4, Fig. 160). */
export const CREATE_IO_CQ_CDW11_LAYOUT = Object.freeze({
  /** bit 0 PC: physically contiguous */
  pc: flag(0),
  /** bit 1 IEN: interrupts enabled */
  ien: flag(1),
  /** bits 31:16 IV: interrupt vector (MSI-X table entry) */
  iv: uint(31, 16),
});
export const createIoCqCdw11Codec = dwordCodec("Create I/O CQ.CDW11", CREATE_IO_CQ_CDW11_LAYOUT);

/** Create I/O SQ CDW11 (§5.1.5, Fig. 164). */
export const CREATE_IO_SQ_CDW11_LAYOUT = Object.freeze({
  /** bit 0 PC: physically contiguous */
  pc: flag(0),
  /** bits 2:1 QPRIO: queue priority for weighted round robin, see QueuePriority */
  qprio: uint(2, 1),
  /** bits 31:16 CQID: completion queue this SQ posts to */
  cqid: uint(31, 16),
});
export const createIoSqCdw11Codec = dwordCodec("Create I/O SQ.CDW11", CREATE_IO_SQ_CDW11_LAYOUT);

/** Create I/O SQ CDW12 (§5.1.5, Fig. 165). */
export const CREATE_IO_SQ_CDW12_LAYOUT = Object.freeze({
  /** bits 15:0 NVMSETID: NVM Set identifier, 0 = none */
  nvmsetid: uint(15, 0),
});
export const createIoSqCdw12Codec = dwordCodec("Create I/O SQ.CDW12", CREATE_IO_SQ_CDW12_LAYOUT);

export const QueuePriority = Object.freeze({ Urgent: 0b00, High: 0b01, Medium: 0b10, Low: 0b11 });

export type CreateIoCqCommand = Fields<typeof CREATE_QUEUE_CDW10_LAYOUT> &
  Fields<typeof CREATE_IO_CQ_CDW11_LAYOUT>;
export type CreateIoSqCommand = Fields<typeof CREATE_QUEUE_CDW10_LAYOUT> &
  Fields<typeof CREATE_IO_SQ_CDW11_LAYOUT> &
  Fields<typeof CREATE_IO_SQ_CDW12_LAYOUT>;

export function buildCreateIoCq(
  options: CommandCommon &
    DataPointer & { qid: number; qsize: number; pc?: boolean; ien?: boolean; iv?: number },
): SubmissionQueueEntry {
  return commandSqe(AdminOpcode.CreateIoCq, options, {
    ...prpDwords(options),
    cdw10: createQueueCdw10Codec.encode(options),
    cdw11: createIoCqCdw11Codec.encode({
      pc: options.pc ?? true,
      ien: options.ien ?? false,
      iv: options.iv ?? 0,
    }),
  });
}

export function parseCreateIoCq(sqe: SubmissionQueueEntry): CreateIoCqCommand & ParsedCommon {
  return createIoCqCdw11Codec.decodeInto(
    sqe.cdw11,
    createQueueCdw10Codec.decodeInto(sqe.cdw10, parsedCommon(sqe)),
  );
}

export function buildCreateIoSq(
  options: CommandCommon &
    DataPointer & {
      qid: number;
      qsize: number;
      cqid: number;
      pc?: boolean;
      qprio?: number;
      nvmsetid?: number;
    },
): SubmissionQueueEntry {
  return commandSqe(AdminOpcode.CreateIoSq, options, {
    ...prpDwords(options),
    cdw10: createQueueCdw10Codec.encode(options),
    cdw11: createIoSqCdw11Codec.encode({
      pc: options.pc ?? true,
      qprio: options.qprio ?? 0,
      cqid: options.cqid,
    }),
    cdw12: createIoSqCdw12Codec.encode({ nvmsetid: options.nvmsetid ?? 0 }),
  });
}

export function parseCreateIoSq(sqe: SubmissionQueueEntry): CreateIoSqCommand & ParsedCommon {
  const out = createQueueCdw10Codec.decodeInto(sqe.cdw10, parsedCommon(sqe));
  return createIoSqCdw12Codec.decodeInto(sqe.cdw12, createIoSqCdw11Codec.decodeInto(sqe.cdw11, out));
}

/** CDW10 of Delete I/O SQ / CQ (§5.1.6 Fig. 167, §5.1.7 Fig. 169). */
export const DELETE_QUEUE_CDW10_LAYOUT = Object.freeze({
  /** bits 15:0 QID: queue to delete */
  qid: uint(15, 0),
});
export const deleteQueueCdw10Codec = dwordCodec("Delete Queue.CDW10", DELETE_QUEUE_CDW10_LAYOUT);

export function buildDeleteIoSq(options: CommandCommon & { qid: number }): SubmissionQueueEntry {
  return commandSqe(AdminOpcode.DeleteIoSq, options, { cdw10: deleteQueueCdw10Codec.encode(options) });
}

export function buildDeleteIoCq(options: CommandCommon & { qid: number }): SubmissionQueueEntry {
  return commandSqe(AdminOpcode.DeleteIoCq, options, { cdw10: deleteQueueCdw10Codec.encode(options) });
}

/** Parses either Delete I/O SQ or Delete I/O CQ: both carry only QID. */
export function parseDeleteQueue(sqe: SubmissionQueueEntry): { qid: number } & ParsedCommon {
  return deleteQueueCdw10Codec.decodeInto(sqe.cdw10, parsedCommon(sqe));
}

/** Abort CDW10 (§5.1.1, Fig. 150). */
export const ABORT_CDW10_LAYOUT = Object.freeze({
  /** bits 15:0 SQID: queue of the command to abort */
  sqid: uint(15, 0),
  /** bits 31:16 CID: identifier of the command to abort */
  abortCid: uint(31, 16),
});
export const abortCdw10Codec = dwordCodec("Abort.CDW10", ABORT_CDW10_LAYOUT);
export type AbortCommand = Fields<typeof ABORT_CDW10_LAYOUT>;

export function buildAbort(options: CommandCommon & AbortCommand): SubmissionQueueEntry {
  return commandSqe(AdminOpcode.Abort, options, { cdw10: abortCdw10Codec.encode(options) });
}

export function parseAbort(sqe: SubmissionQueueEntry): AbortCommand & ParsedCommon {
  return abortCdw10Codec.decodeInto(sqe.cdw10, parsedCommon(sqe));
}

/** Abort completion DW0 bit 0 (§5.1.1, Fig. 151): 1 = the command was NOT aborted. */
export const ABORT_DW0_NOT_ABORTED = 1;

/** Asynchronous Event Request (§5.1.2): no command dwords; the completion reports the event. */
export function buildAsyncEventRequest(options: CommandCommon = {}): SubmissionQueueEntry {
  return commandSqe(AdminOpcode.AsyncEventRequest, options, {});
}

/** AER completion DW0 (§5.1.2, Fig. 153). */
export const ASYNC_EVENT_DW0_LAYOUT = Object.freeze({
  /** bits 2:0 AET: asynchronous event type, see AsyncEventType */
  aet: uint(2, 0),
  /** bits 15:8 AEI: asynchronous event information */
  aei: uint(15, 8),
  /** bits 23:16 LID: log page to read to clear the event */
  lid: uint(23, 16),
});
export type AsyncEventCompletion = Fields<typeof ASYNC_EVENT_DW0_LAYOUT>;
export const asyncEventDw0Codec = dwordCodec("Asynchronous Event.DW0", ASYNC_EVENT_DW0_LAYOUT);

export const AsyncEventType = Object.freeze({
  ErrorStatus: 0b000,
  SmartHealthStatus: 0b001,
  Notice: 0b010,
  ImmediateClassType: 0b011,
  IoCommandSpecificStatus: 0b110,
  VendorSpecific: 0b111,
});

/** Keep Alive (§5.1.14): no command dwords. */
export function buildKeepAlive(options: CommandCommon = {}): SubmissionQueueEntry {
  return commandSqe(AdminOpcode.KeepAlive, options, {});
}
