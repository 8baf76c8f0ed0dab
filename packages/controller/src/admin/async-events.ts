import { Status, type SubmissionQueueEntry } from "@bplab/nvme-spec";
import type { CommandContext } from "../command-context.js";
import { type CommandResult, failure } from "../status.js";

/** Identify AERL: at most this many Asynchronous Event Requests outstanding (AERL is 0's based). */
export const ASYNC_EVENT_REQUEST_LIMIT = 4;
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
