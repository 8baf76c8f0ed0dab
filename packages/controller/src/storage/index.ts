export {
  StateDirError,
  type StateDirErrorCode,
  StorageError,
  type StorageErrorCode,
} from "./errors.js";
export { NODE_FILE_SYSTEM } from "./file-io.js";
export {
  DEFAULT_NAMESPACE_SIZE_BYTES,
  validateBpSizeBytes,
  validateNamespaceSizeBytes,
} from "./geometry.js";
export { createMemoryStore, type MemoryStore, type MemoryStoreOptions } from "./memory-store.js";
export { formatSize, parseSize } from "./parse-size.js";
export {
  type CommitStep,
  openStateDir,
  type StateDir,
  type StateDirFileSystem,
  type StateDirOptions,
} from "./state-dir.js";
export { STATE_FORMAT, STATE_VERSION, StateFile, type StateMeta } from "./state-meta.js";
