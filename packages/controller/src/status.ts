import { Status, type StatusCode } from "@bplab/nvme-spec";

/** What a command handler hands back to the queue engine, which turns it into a CQE. */
export interface CommandResult {
  readonly status: StatusCode;
  /** Completion dword 0 (command specific). */
  readonly dw0: number;
  /** Do Not Retry: set when resubmitting the same command would fail the same way. */
  readonly dnr: boolean;
  /** Why the command failed, for the trace; never sent to the host. */
  readonly reason?: string;
}

export function success(dw0 = 0): CommandResult {
  return { status: Status.Success, dw0: dw0 >>> 0, dnr: false };
}

export function failure(
  status: StatusCode,
  reason: string,
  options: { retryable?: boolean } = {},
): CommandResult {
  return { status, dw0: 0, dnr: !options.retryable, reason };
}

/** An opcode the controller does not implement, on the admin or an I/O queue. */
export function invalidOpcode(opcode: number, admin: boolean): CommandResult {
  return failure(
    Status.InvalidOpcode,
    `${admin ? "admin" : "I/O"} opcode ${opcode.toString(16).padStart(2, "0")}h`,
  );
}
