import { Status } from "@bplab/nvme-spec";

/** A status as the spec names it: Status Code Type and Status Code (§2.3 of the spec file). */
export interface StatusCode {
  readonly sct: number;
  readonly sc: number;
}

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

export function isSuccessStatus(status: StatusCode): boolean {
  return status.sct === Status.Success.sct && status.sc === Status.Success.sc;
}

/** "1h/1Eh": the form the scenario observations and traces use. */
export function formatStatus(status: StatusCode): string {
  return `${status.sct.toString(16)}h/${status.sc.toString(16).toUpperCase().padStart(2, "0")}h`;
}
