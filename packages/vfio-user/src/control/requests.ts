/**
 * The control channel's wire format: one JSON object per line each way. Every request field is
 * checked here, before anything touches the device: a client on the control socket is trusted to
 * drive the lab, not to be well formed.
 */

import { QUIRK_PROFILE_NAMES, type QuirkProfileName } from "@bplab/controller";
import { CodedError } from "@bplab/node-kit";

export type ControlErrorCode =
  /** The line is not a JSON object. */
  | "CONTROL_BAD_JSON"
  /** `op` is missing or not one the channel knows. */
  | "CONTROL_UNKNOWN_OP"
  /** A field is missing, of the wrong type, out of range, or not expected for this op. */
  | "CONTROL_BAD_FIELD"
  /** A request line longer than CONTROL_MAX_LINE_BYTES: the connection is closed after the reply. */
  | "CONTROL_LINE_TOO_LONG"
  /** The request was valid but the device refused it (e.g. a fault target the store lacks). */
  | "CONTROL_FAILED";

export class ControlError extends CodedError<ControlErrorCode> {}

/** Requests are small; a longer line is a broken or hostile client. */
export const CONTROL_MAX_LINE_BYTES = 64 * 1024;

export const FAULT_KINDS = Object.freeze([
  /** The next `count` Firmware Commits that replace a BP fail in the store (MC-13: old image stays). */
  "bp-commit-error",
  /** The next `count` Firmware Image Download writes to the staging area fail in the store. */
  "bp-stage-error",
  /** The next `count` namespace writes fail in the store. */
  "namespace-write-error",
] as const);
export type FaultKind = (typeof FAULT_KINDS)[number];

export const CONTROL_OPS = Object.freeze([
  "status",
  "power-cycle",
  "quirk-profile",
  "inject-fault",
  "clear-faults",
  "trace-subscribe",
  "trace-unsubscribe",
] as const);
export type ControlOp = (typeof CONTROL_OPS)[number];

/** A request id the client picks; echoed in the reply so replies can be matched. */
export type RequestId = string | number | null;

export type ControlRequest =
  | { id: RequestId; op: "status" | "power-cycle" | "clear-faults" | "trace-subscribe" | "trace-unsubscribe" }
  | { id: RequestId; op: "quirk-profile"; profile: QuirkProfileName }
  | { id: RequestId; op: "inject-fault"; fault: FaultKind; count: number };

const MAX_FAULT_COUNT = 1_000_000;

const FIELDS_BY_OP: Readonly<Record<ControlOp, readonly string[]>> = {
  status: [],
  "power-cycle": [],
  "quirk-profile": ["profile"],
  "inject-fault": ["fault", "count"],
  "clear-faults": [],
  "trace-subscribe": [],
  "trace-unsubscribe": [],
};

function badField(field: string, rule: string): ControlError {
  return new ControlError("CONTROL_BAD_FIELD", `${field}: ${rule}`);
}

/** The id of a line, if it has a usable one, so even a refused request's reply can be matched. */
export function requestIdOf(value: unknown): RequestId {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const id = (value as Record<string, unknown>).id;
  return typeof id === "string" || (typeof id === "number" && Number.isSafeInteger(id)) ? id : null;
}

function parseId(record: Record<string, unknown>): RequestId {
  if (!("id" in record) || record.id === null) return null;
  const id = record.id;
  if (typeof id === "string" && id.length <= 256) return id;
  if (typeof id === "number" && Number.isSafeInteger(id)) return id;
  throw badField("id", "must be a string of at most 256 characters, a safe integer or null");
}

/** Parses one request line; throws ControlError naming what is wrong. */
export function parseControlRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new ControlError("CONTROL_BAD_JSON", "the line is not JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ControlError("CONTROL_BAD_JSON", "the request must be a JSON object");
  }
  const record = value as Record<string, unknown>;
  const id = parseId(record);
  const op = record.op;
  if (typeof op !== "string" || !(CONTROL_OPS as readonly string[]).includes(op)) {
    throw new ControlError("CONTROL_UNKNOWN_OP", `op: must be one of ${CONTROL_OPS.join(", ")}`);
  }
  const allowed = new Set(["id", "op", ...FIELDS_BY_OP[op as ControlOp]]);
  for (const key of Object.keys(record)) {
    if (!allowed.has(key)) throw badField(key, `is not a field of ${op}`);
  }
  switch (op as ControlOp) {
    case "quirk-profile": {
      const profile = record.profile;
      if (typeof profile !== "string" || !(QUIRK_PROFILE_NAMES as readonly string[]).includes(profile)) {
        throw badField("profile", `must be one of ${QUIRK_PROFILE_NAMES.join(", ")}`);
      }
      return { id, op: "quirk-profile", profile: profile as QuirkProfileName };
    }
    case "inject-fault": {
      const fault = record.fault;
      if (typeof fault !== "string" || !(FAULT_KINDS as readonly string[]).includes(fault)) {
        throw badField("fault", `must be one of ${FAULT_KINDS.join(", ")}`);
      }
      const count = record.count ?? 1;
      if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 1 || count > MAX_FAULT_COUNT) {
        throw badField("count", `must be an integer from 1 to ${MAX_FAULT_COUNT}`);
      }
      return { id, op: "inject-fault", fault: fault as FaultKind, count };
    }
    default:
      return { id, op: op as Exclude<ControlOp, "quirk-profile" | "inject-fault"> };
  }
}

/** The reply to a refused request. */
export function errorReplyLine(id: RequestId, error: ControlError): string {
  return `${JSON.stringify({ id, ok: false, error: { code: error.code, message: error.message } })}\n`;
}

export function okReplyLine(id: RequestId, fields: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ id, ok: true, ...fields })}\n`;
}
