/**
 * @bplab/controller/storage: the file-backed storage of the lab (state directories with an owner
 * lock, fsync'ed atomic commits) and the trace file writer. Everything here uses the Node file
 * system; the core (@bplab/controller) only defines the ports these implement.
 */
export { StateDirError, type StateDirErrorCode } from "./errors.js";
export { NODE_FILE_SYSTEM } from "./file-io.js";
export {
  type CommitStep,
  openStateDir,
  type StateDir,
  type StateDirFileSystem,
  type StateDirOptions,
} from "./state-dir.js";
export { STATE_FORMAT, STATE_VERSION, StateFile, type StateMeta } from "./state-meta.js";
export { writeTraceJsonLines } from "./trace-file.js";
