/**
 * Errors the controller core raises to the code that builds or drives it. None of them is ever
 * raised for anything a host sends: host input ends in a status code, a BRS value or CSTS.CFS.
 */

import { CodedError } from "@bplab/node-kit";

export type ControllerErrorCode =
  /** A ControllerConfig field, a quirk or a port does not satisfy its rule. */
  | "CONFIG_INVALID"
  /** A ManualScheduler ran more tasks than its bound without going idle. */
  | "SCHEDULER_RUNAWAY";

export class ControllerError extends CodedError<ControllerErrorCode> {}

/** A construction-time problem: names the field and the rule it breaks. */
export class ControllerConfigError extends ControllerError {
  readonly field: string;
  readonly rule: string;

  constructor(field: string, rule: string, actual: unknown) {
    super("CONFIG_INVALID", `${field} ${rule}, got ${formatActual(actual)}`);
    this.field = field;
    this.rule = rule;
  }
}

/** A store size, range or size string the storage ports or their implementations reject. */
export type StorageErrorCode =
  /** A size or option is not acceptable (not an integer, not a multiple of its unit, too large). */
  | "STORAGE_INVALID_ARGUMENT"
  /** A read or write touches bytes outside the store. */
  | "STORAGE_OUT_OF_RANGE"
  /** The store was closed; its file handles are gone. */
  | "STORAGE_CLOSED"
  /** A size string such as "1G" or "128K" cannot be parsed. */
  | "STORAGE_INVALID_SIZE";

export class StorageError extends CodedError<StorageErrorCode> {
  /** The argument or option that was rejected, e.g. "bpSizeBytes". */
  readonly field: string;

  constructor(code: StorageErrorCode, field: string, message: string) {
    super(code, message);
    this.field = field;
  }
}

function formatActual(actual: unknown): string {
  if (typeof actual === "string") return JSON.stringify(actual);
  if (typeof actual === "bigint") return `${actual}n`;
  try {
    return JSON.stringify(actual) ?? String(actual);
  } catch {
    return String(actual);
  }
}

/** Describes an unknown thrown value for a trace event. */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return String(thrown);
}
