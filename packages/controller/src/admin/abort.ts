import { ABORT_DW0_NOT_ABORTED, parseAbort, Status, type SubmissionQueueEntry } from "@bplab/nvme-spec";
import type { CommandContext } from "../command-context.js";
import { ADMIN_QID } from "../queues.js";
import { type CommandResult, failure, success } from "../status.js";

/** Identify ACL: the Abort Command Limit (ACL is 0's based). */
export const ABORT_COMMAND_LIMIT = 4;

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
