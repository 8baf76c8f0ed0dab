/**
 * Typed errors of the storage layer. Each carries a stable `code` (for programs and tests) and a
 * message that names the field or file and the rule that was broken (for people).
 */

import { CodedError } from "@bplab/node-kit";

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

export type StateDirErrorCode =
  /** The directory does not exist and no `create` option was given. */
  | "STATE_DIR_NOT_FOUND"
  /** The directory exists, is not empty and is not a state directory: we refuse to write into it. */
  | "STATE_DIR_NOT_A_STATE_DIR"
  /** meta.json is not valid JSON or misses a field. */
  | "STATE_DIR_CORRUPT_META"
  /** meta.json's `format` is not "bplab-state". */
  | "STATE_DIR_WRONG_FORMAT"
  /** meta.json's `version` is one this code does not know. */
  | "STATE_DIR_UNSUPPORTED_VERSION"
  /** An image file named by the layout is missing. */
  | "STATE_DIR_MISSING_FILE"
  /** An image file's size differs from the geometry in meta.json. */
  | "STATE_DIR_SIZE_MISMATCH"
  /** `create` options disagree with the geometry of an existing state directory. */
  | "STATE_DIR_GEOMETRY_MISMATCH"
  /** Another live process has the directory open (owner.lock). */
  | "STATE_DIR_BUSY"
  /** The operating system refused an operation (permissions, disk full, ...). */
  | "STATE_DIR_IO";

export class StateDirError extends CodedError<StateDirErrorCode> {
  /** The file or directory the error is about. */
  readonly path: string;

  constructor(code: StateDirErrorCode, path: string, message: string, options?: { cause?: unknown }) {
    super(code, `${path}: ${message}`, options);
    this.path = path;
  }
}
