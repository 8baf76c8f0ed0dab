import {
  parseCreateIoCq,
  parseCreateIoSq,
  parseDeleteQueue,
  Status,
  type SubmissionQueueEntry,
} from "@bplab/nvme-spec";
import type { CommandContext } from "../command-context.js";
import { ADMIN_QID } from "../queues.js";
import { type CommandResult, failure, success } from "../status.js";

/**
 * Create / Delete I/O Submission and Completion Queues (NVMe Base §5.1.4–5.1.7). Queues must be
 * physically contiguous (CAP.CQR=1) and page aligned; QIDs go from 1 to the configured number of
 * I/O queue pairs.
 */

export function createIoCompletionQueue(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const command = parseCreateIoCq(sqe);
  const problem = checkNewQueue(ctx, command, sqe.prp1, ctx.queues.completionQueues.has(command.qid));
  if (problem) return problem;
  if (command.ien && command.iv >= ctx.config.msixVectors) {
    return failure(
      Status.InvalidInterruptVector,
      `IV=${command.iv} is not below ${ctx.config.msixVectors} vectors`,
    );
  }
  const entries = command.qsize + 1;
  ctx.queues.createCompletionQueue({
    qid: command.qid,
    base: sqe.prp1,
    entries,
    interruptsEnabled: command.ien,
    vector: command.iv,
  });
  ctx.trace.emit("queue.create", { type: "cq", qid: command.qid, entries, vector: command.iv });
  return success();
}

export function createIoSubmissionQueue(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const command = parseCreateIoSq(sqe);
  if (command.cqid === ADMIN_QID || !ctx.queues.completionQueues.has(command.cqid)) {
    return failure(
      Status.CompletionQueueInvalid,
      `CQID=${command.cqid} is not an existing I/O completion queue`,
    );
  }
  const problem = checkNewQueue(ctx, command, sqe.prp1, ctx.queues.submissionQueues.has(command.qid));
  if (problem) return problem;
  const entries = command.qsize + 1;
  ctx.queues.createSubmissionQueue({ qid: command.qid, base: sqe.prp1, entries, cqid: command.cqid });
  ctx.trace.emit("queue.create", { type: "sq", qid: command.qid, entries, cqid: command.cqid });
  return success();
}

export function deleteIoSubmissionQueue(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const { qid } = parseDeleteQueue(sqe);
  if (qid === ADMIN_QID || !ctx.queues.submissionQueues.has(qid)) {
    return failure(Status.InvalidQueueIdentifier, `QID=${qid} is not an existing I/O submission queue`);
  }
  ctx.queues.deleteSubmissionQueue(qid);
  ctx.trace.emit("queue.delete", { type: "sq", qid });
  return success();
}

export function deleteIoCompletionQueue(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const { qid } = parseDeleteQueue(sqe);
  if (qid === ADMIN_QID || !ctx.queues.completionQueues.has(qid)) {
    return failure(Status.InvalidQueueIdentifier, `QID=${qid} is not an existing I/O completion queue`);
  }
  if (ctx.queues.isCompletionQueueInUse(qid)) {
    return failure(Status.InvalidQueueDeletion, `CQ ${qid} still has submission queues attached`);
  }
  ctx.queues.deleteCompletionQueue(qid);
  ctx.trace.emit("queue.delete", { type: "cq", qid });
  return success();
}

/** The rules both Create commands share: QID, QSIZE, PC and the base address. */
function checkNewQueue(
  ctx: CommandContext,
  command: { qid: number; qsize: number; pc: boolean },
  base: bigint,
  exists: boolean,
): CommandResult | undefined {
  const { qid, qsize } = command;
  if (qid === ADMIN_QID || qid > ctx.config.maxIoQueues || exists) {
    return failure(
      Status.InvalidQueueIdentifier,
      `QID=${qid} is 0, above ${ctx.config.maxIoQueues} or in use`,
    );
  }
  // QSIZE is 0's based: 0 would be a one-entry queue; the largest is CAP.MQES.
  if (qsize === 0 || qsize > ctx.config.maxQueueEntries - 1) {
    return failure(
      Status.InvalidQueueSize,
      `QSIZE=${qsize} must be from 1 to MQES=${ctx.config.maxQueueEntries - 1}`,
    );
  }
  if (!command.pc)
    return failure(Status.InvalidField, "PC=0: queues must be physically contiguous (CAP.CQR=1)");
  return checkBase(ctx, base);
}

function checkBase(ctx: CommandContext, base: bigint): CommandResult | undefined {
  if ((base & BigInt(ctx.pageSize - 1)) !== 0n) {
    return failure(
      Status.InvalidPrpOffset,
      `PRP1=0x${base.toString(16)} is not aligned to the ${ctx.pageSize}-byte page`,
    );
  }
  return undefined;
}
