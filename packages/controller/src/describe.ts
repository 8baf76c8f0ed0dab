import {
  describeCommand,
  describeStatus,
  formatStatus,
  type SubmissionQueueEntry,
  statusName,
} from "@bplab/nvme-spec";
import { ADMIN_QID } from "./queues.js";
import type { CommandResult } from "./status.js";
import { hex32, type TraceFields } from "./trace.js";

/** Fields of a `command` trace event: where it came from, the raw dwords and a readable line. */
export function describeCommandForTrace(sqid: number, sqe: SubmissionQueueEntry): TraceFields {
  const admin = sqid === ADMIN_QID;
  return {
    sqid,
    cid: sqe.cid,
    opcode: sqe.opcode,
    admin,
    nsid: sqe.nsid,
    fuse: sqe.fuse,
    psdt: sqe.psdt,
    cdw10: hex32(sqe.cdw10),
    cdw11: hex32(sqe.cdw11),
    cdw12: hex32(sqe.cdw12),
    text: describeCommand(sqe, { admin }),
  };
}

/** Fields of a `completion` trace event: status as "1h/1Eh", its spec name, DW0 and why it failed. */
export function describeResultForTrace(
  sqid: number,
  sqe: SubmissionQueueEntry,
  result: CommandResult,
): TraceFields {
  return {
    sqid,
    cid: sqe.cid,
    opcode: sqe.opcode,
    status: formatStatus(result.status),
    statusName: statusName(result.status),
    dnr: result.dnr,
    dw0: hex32(result.dw0),
    reason: result.reason,
    text: describeStatus(result.status),
  };
}
