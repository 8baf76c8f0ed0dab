/**
 * The in-memory store for tests and the demo: both BPs, the staging area and the namespace live in
 * sparse RAM, so even a 1 GiB geometry costs only what is written. Nothing survives the process,
 * and `commitStaged` is trivially atomic (MC-22): the staged image object becomes the BP.
 */
import type { BpId } from "@bplab/nvme-spec";
import { StorageError } from "./errors.js";
import type { BootPartitionStore, NamespaceStore } from "./ports.js";
import { SparseBytes } from "./sparse-bytes.js";
import { checkRange, resolveGeometry } from "./store-geometry.js";

export interface MemoryStoreOptions {
  /** Each BP's size, BPSZ x 128 KiB (128 KiB to 0x7FFF x 128 KiB). */
  bpSizeBytes: number;
  /** The namespace size, a multiple of 4 KiB; defaults to DEFAULT_NAMESPACE_SIZE_BYTES. */
  namespaceSizeBytes?: number;
  /** ABPID at creation; defaults to 0. */
  activeBpid?: BpId;
}

export interface MemoryStore {
  bootPartitions: BootPartitionStore;
  namespace: NamespaceStore;
}

export function validateBpid(bpid: unknown, field = "bpid"): BpId {
  if (bpid !== 0 && bpid !== 1) {
    throw new StorageError("STORAGE_INVALID_ARGUMENT", field, `${field} must be 0 or 1, got ${String(bpid)}`);
  }
  return bpid;
}

class MemoryBootPartitionStore implements BootPartitionStore {
  readonly bpSizeBytes: number;
  #partitions: [SparseBytes, SparseBytes];
  #staged: SparseBytes;
  #stagedLength = 0;
  #activeBpid: BpId;

  constructor(bpSizeBytes: number, activeBpid: BpId) {
    this.bpSizeBytes = bpSizeBytes;
    this.#partitions = [new SparseBytes(bpSizeBytes), new SparseBytes(bpSizeBytes)];
    this.#staged = new SparseBytes(bpSizeBytes);
    this.#activeBpid = activeBpid;
  }

  get stagedLength(): number {
    return this.#stagedLength;
  }

  get activeBpid(): BpId {
    return this.#activeBpid;
  }

  readBp(bpid: BpId, offset: number, into: Uint8Array): void {
    validateBpid(bpid);
    checkRange("readBp", offset, into.length, this.bpSizeBytes);
    this.#partitions[bpid].read(offset, into);
  }

  /** The staging area holds one BP (MC-10); the controller enforces the download order (MC-11). */
  stageWrite(offset: number, data: Uint8Array): void {
    checkRange("stageWrite", offset, data.length, this.bpSizeBytes);
    this.#staged.write(offset, data);
    this.#stagedLength = Math.max(this.#stagedLength, offset + data.length);
  }

  /** The staging area is cleared in place so its chunks serve the next download (issue 13). */
  discardStaged(): void {
    this.#staged.clear();
    this.#stagedLength = 0;
  }

  /**
   * MC-21: bytes past the staged image read as zeros because the staging area starts empty. The
   * staged bytes become the BP, and the BP's old bytes, cleared, become the next staging area.
   */
  commitStaged(bpid: BpId): void {
    validateBpid(bpid);
    const replaced = this.#partitions[bpid];
    this.#partitions[bpid] = this.#staged;
    this.#staged = replaced;
    this.discardStaged();
  }

  setActiveBpid(bpid: BpId): void {
    this.#activeBpid = validateBpid(bpid);
  }
}

class MemoryNamespaceStore implements NamespaceStore {
  readonly sizeBytes: number;
  readonly #bytes: SparseBytes;

  constructor(sizeBytes: number) {
    this.sizeBytes = sizeBytes;
    this.#bytes = new SparseBytes(sizeBytes);
  }

  read(offset: number, into: Uint8Array): void {
    checkRange("namespace read", offset, into.length, this.sizeBytes);
    this.#bytes.read(offset, into);
  }

  write(offset: number, data: Uint8Array): void {
    checkRange("namespace write", offset, data.length, this.sizeBytes);
    this.#bytes.write(offset, data);
  }

  writeZeroes(offset: number, length: number): void {
    checkRange("namespace writeZeroes", offset, length, this.sizeBytes);
    this.#bytes.zero(offset, length);
  }

  /** RAM has nothing to flush. */
  flush(): void {}
}

export function createMemoryStore(options: MemoryStoreOptions): MemoryStore {
  const geometry = resolveGeometry(options);
  const activeBpid = validateBpid(options.activeBpid ?? 0, "activeBpid");
  return {
    bootPartitions: new MemoryBootPartitionStore(geometry.bpSizeBytes, activeBpid),
    namespace: new MemoryNamespaceStore(geometry.namespaceSizeBytes),
  };
}
