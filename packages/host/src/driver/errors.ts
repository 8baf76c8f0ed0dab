import { CodedError } from "@bplab/node-kit";
import type { CompletionQueueEntry } from "@bplab/nvme-spec";

export type HostDriverErrorCode =
  | "HOST_TIMEOUT"
  | "CONTROLLER_FATAL"
  | "NVME_STATUS"
  | "BAD_ARGUMENT"
  | "NOT_SUPPORTED"
  | "DRIVER_RESET";

/** Base class of everything the host driver throws; `code` tells the cases apart. */
export class HostDriverError extends CodedError<HostDriverErrorCode> {}

/**
 * The device did not answer within a bounded number of polls. The bound counts polls (each one a
 * memRead plus a settle()), never wall-clock time, so it means the same on every target.
 */
export class HostTimeoutError extends HostDriverError {
  readonly waitingFor: string;
  readonly polls: number;

  constructor(waitingFor: string, polls: number) {
    super("HOST_TIMEOUT", `no answer from the device after ${polls} polls while waiting for ${waitingFor}`);
    this.waitingFor = waitingFor;
    this.polls = polls;
  }
}

/** CSTS.CFS became 1: the controller declared a fatal status (e.g. malformed queue setup). */
export class ControllerFatalError extends HostDriverError {
  constructor(during: string) {
    super("CONTROLLER_FATAL", `controller fatal status (CSTS.CFS=1) during ${during}`);
  }
}

/** A command the driver needs to succeed (e.g. Identify during bring-up) ended with an error status. */
export class NvmeCommandError extends HostDriverError {
  readonly completion: CompletionQueueEntry;
  readonly command: string;

  constructor(command: string, completion: CompletionQueueEntry, statusText: string) {
    super("NVME_STATUS", `${command} failed with status ${statusText}`);
    this.command = command;
    this.completion = completion;
  }
}

/** A caller passed something the driver cannot send; the message names the field and the rule. */
export class HostUsageError extends HostDriverError {
  readonly field: string;

  constructor(field: string, rule: string) {
    super("BAD_ARGUMENT", `${field}: ${rule}`);
    this.field = field;
  }
}

/** The command was in flight when the driver reset the queues (controller reset, power cycle). */
export class CommandAbortedByResetError extends HostDriverError {
  constructor(command: string) {
    super("DRIVER_RESET", `${command} was still in flight when the driver reset its queues`);
  }
}
