import { ABORT_DW0_NOT_ABORTED, parseAbort, Status, type SubmissionQueueEntry } from "@bplab/nvme-spec";
import type { CommandContext } from "../command-context.js";
import { ADMIN_QID } from "../queues.js";
import { type CommandResult, failure, success } from "../status.js";

/** Identify AERL: at most this many Asynchronous Event Requests outstanding (AERL is 0's based). */
export const ASYNC_EVENT_REQUEST_LIMIT = 4;
/** Identify ACL: the Abort Command Limit (ACL is 0's based). */
export const ABORT_COMMAND_LIMIT = 4;

/**
 * Asynchronous Event Request: stays outstanding until an event occurs (the model raises none) or
 * the controller resets; above the limit → Asynchronous Event Request Limit Exceeded.
 */
export function asyncEventRequest(
  ctx: CommandContext,
  sqid: number,
  sqe: SubmissionQueueEntry,
): CommandResult | undefined {
  if (ctx.asyncEvents.outstanding.length >= ASYNC_EVENT_REQUEST_LIMIT) {
    return failure(
      Status.AsyncEventRequestLimitExceeded,
      `already ${ASYNC_EVENT_REQUEST_LIMIT} requests outstanding`,
    );
  }
  ctx.asyncEvents.outstanding.push({ sqid, cid: sqe.cid });
  return undefined;
}

/**
 * Abort: every command but an Asynchronous Event Request has completed by the time an Abort is
 * fetched (the engine runs commands to completion), so only an outstanding AER can be aborted;
 * it completes with Command Abort Requested. Otherwise DW0 bit 0 = 1 (not aborted).
 */
export function abort(ctx: CommandContext, sqe: SubmissionQueueEntry): CommandResult {
  const { sqid, abortCid } = parseAbort(sqe);
  const index = ctx.asyncEvents.outstanding.findIndex(
    (request) => request.sqid === sqid && request.cid === abortCid,
  );
  if (sqid !== ADMIN_QID || index < 0) return success(ABORT_DW0_NOT_ABORTED);
  const [request] = ctx.asyncEvents.outstanding.splice(index, 1);
  ctx.queues.complete(
    request!.sqid,
    request!.cid,
    failure(Status.CommandAbortRequested, "aborted by the host"),
  );
  return success(0);
}

/** Keep Alive: the PCIe controller has no keep-alive timer (KAS=0), so it simply succeeds. */
export function keepAlive(): CommandResult {
  return success();
}

export function invalidOpcode(opcode: number, admin: boolean): CommandResult {
  return failure(
    Status.InvalidOpcode,
    `${admin ? "admin" : "I/O"} opcode ${opcode.toString(16).padStart(2, "0")}h`,
  );
}
