/**
 * Typed errors of the file-backed storage (state directories). Each carries a stable `code` (for programs and tests) and a
 * message that names the field or file and the rule that was broken (for people).
 */

import { CodedError } from "@bplab/node-kit";

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
  /**
   * owner.lock names a process in another PID namespace (another container, the host) or on
   * another machine, whose pid cannot be checked from here: never taken over (MC-72).
   */
  | "STATE_DIR_FOREIGN_OWNER"
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
