/**
 * The state directory's layout and its versioned metadata file. The metadata is checked field by
 * field so a hand-edited or truncated meta.json gets an error that names the field and the rule.
 */
import type { BpId } from "@bplab/nvme-spec";
import { StorageError } from "../errors.js";
import { validateBpSizeBytes, validateNamespaceSizeBytes } from "../store-geometry.js";
import { StateDirError } from "./errors.js";

export const STATE_FORMAT = "bplab-state";
export const STATE_VERSION = 1;

/** File names inside a state directory. */
export const StateFile = Object.freeze({
  meta: "meta.json",
  metaTemp: "meta.json.tmp",
  bootPartitions: ["bp0.img", "bp1.img"] as const,
  namespace: "namespace.img",
  /** The Firmware Image Download staging area: volatile, removed at every open (MC-14, MC-42). */
  staging: "staging.img",
  /** Holds the pid of the process that has the directory open. */
  owner: "owner.lock",
});

export interface StateMeta {
  format: typeof STATE_FORMAT;
  version: typeof STATE_VERSION;
  bpSizeBytes: number;
  namespaceSizeBytes: number;
  /** BPINFO.ABPID: nonvolatile, so it lives here (MC-23). Lock states do not (MC-41). */
  activeBpid: BpId;
}

export function serializeMeta(meta: StateMeta): string {
  return `${JSON.stringify(meta, null, 2)}\n`;
}

export function parseMeta(text: string, path: string): StateMeta {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new StateDirError("STATE_DIR_CORRUPT_META", path, `is not valid JSON (${reason})`, {
      cause: error,
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new StateDirError("STATE_DIR_CORRUPT_META", path, "must hold a JSON object");
  }
  const record = value as Record<string, unknown>;
  if (record.format !== STATE_FORMAT) {
    throw new StateDirError(
      "STATE_DIR_WRONG_FORMAT",
      path,
      `"format" must be ${JSON.stringify(STATE_FORMAT)}, got ${JSON.stringify(record.format)}`,
    );
  }
  if (record.version !== STATE_VERSION) {
    throw new StateDirError(
      "STATE_DIR_UNSUPPORTED_VERSION",
      path,
      `"version" ${JSON.stringify(record.version)} is not supported (this build reads version ${STATE_VERSION})`,
    );
  }
  if (record.activeBpid !== 0 && record.activeBpid !== 1) {
    throw new StateDirError(
      "STATE_DIR_CORRUPT_META",
      path,
      `"activeBpid" must be 0 or 1, got ${JSON.stringify(record.activeBpid)}`,
    );
  }
  return {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    bpSizeBytes: checkedGeometry(path, "bpSizeBytes", () => validateBpSizeBytes(record.bpSizeBytes)),
    namespaceSizeBytes: checkedGeometry(path, "namespaceSizeBytes", () =>
      validateNamespaceSizeBytes(record.namespaceSizeBytes),
    ),
    activeBpid: record.activeBpid,
  };
}

function checkedGeometry(path: string, field: string, validate: () => number): number {
  try {
    return validate();
  } catch (error) {
    if (!(error instanceof StorageError)) throw error;
    throw new StateDirError("STATE_DIR_CORRUPT_META", path, `"${field}" is invalid: ${error.message}`, {
      cause: error,
    });
  }
}
