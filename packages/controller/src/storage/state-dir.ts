/**
 * A state directory: the nonvolatile side of one controller, on disk.
 *
 *   meta.json      {format, version, bpSizeBytes, namespaceSizeBytes, activeBpid}
 *   bp0.img        Boot Partition 0, a sparse file of exactly bpSizeBytes
 *   bp1.img        Boot Partition 1
 *   namespace.img  the namespace, sparse
 *   staging.img    the Firmware Image Download staging area (volatile: deleted at open)
 *   owner.lock     the pid of the process that has the directory open
 *
 * Opening the directory after the process exited is a power cycle (MC-42): staging is gone and
 * lock states, which are never stored, start as Write Locked (MC-41). A directory that does not
 * match this layout is reported with a StateDirError and never written to.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
} from "node:fs";
import { join, resolve } from "node:path";
import type { BootPartitionStore, BpId, NamespaceStore } from "../ports.js";
import { StateDirError, StorageError } from "./errors.js";
import {
  fileSize,
  fsyncDirectory,
  io,
  readFullyAt,
  removeIfPresent,
  writeFileAtomic,
  writeFullyAt,
} from "./file-io.js";
import { checkRange, resolveGeometry, type StoreGeometry } from "./geometry.js";
import { validateBpid } from "./memory-store.js";
import { acquireOwnerLock } from "./owner-lock.js";
import {
  parseMeta,
  STATE_FORMAT,
  STATE_VERSION,
  StateFile,
  type StateMeta,
  serializeMeta,
} from "./state-meta.js";

/** The steps of an atomic commit (MC-22), in order; tests stop a commit after any of them. */
export type CommitStep = "staged-extended" | "staged-synced" | "renamed" | "directory-synced";

export interface StateDirOptions {
  /** Create the directory when it is missing or empty; when it exists, its geometry must match. */
  create?: { bpSizeBytes: number; namespaceSizeBytes?: number };
  /** Called after each commit step. For crash tests: throwing here simulates dying at that point. */
  onCommitStep?: (step: CommitStep, bpid: BpId) => void;
}

export interface StateDir {
  readonly path: string;
  readonly bootPartitions: BootPartitionStore;
  readonly namespace: NamespaceStore;
  /** Closes every file and releases the directory. The stores throw STORAGE_CLOSED afterwards. */
  close(): void;
}

/** Zeroes written by writeZeroes in pieces of this size, so a huge range needs no huge buffer. */
const ZERO_PIECE_BYTES = 1024 * 1024;

class StateFiles {
  readonly dir: string;
  #closed = false;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  assertOpen(field: string): void {
    if (this.#closed) throw closedError(field);
  }

  markClosed(): boolean {
    const wasOpen = !this.#closed;
    this.#closed = true;
    return wasOpen;
  }
}

function closedError(field: string): Error {
  return new StorageError("STORAGE_CLOSED", field, `${field}: the state directory was closed`);
}

class FileBootPartitionStore implements BootPartitionStore {
  readonly bpSizeBytes: number;
  readonly #files: StateFiles;
  readonly #meta: StateMeta;
  readonly #bpFds: [number, number];
  readonly #onCommitStep: StateDirOptions["onCommitStep"];
  #stagingFd: number | undefined;
  #stagedLength = 0;

  constructor(files: StateFiles, meta: StateMeta, onCommitStep: StateDirOptions["onCommitStep"]) {
    this.#files = files;
    this.#meta = meta;
    this.bpSizeBytes = meta.bpSizeBytes;
    this.#onCommitStep = onCommitStep;
    this.#bpFds = [this.#openBp(0), this.#openBp(1)];
  }

  get stagedLength(): number {
    return this.#stagedLength;
  }

  get activeBpid(): BpId {
    return this.#meta.activeBpid;
  }

  readBp(bpid: BpId, offset: number, into: Uint8Array): void {
    validateBpid(bpid);
    checkRange("readBp", offset, into.length, this.bpSizeBytes);
    this.#files.assertOpen("readBp");
    readFullyAt(this.#bpFds[bpid], this.#bpPath(bpid), into, offset);
  }

  /** Staging is a file, so a 1 GiB download never sits in RAM. */
  stageWrite(offset: number, data: Uint8Array): void {
    checkRange("stageWrite", offset, data.length, this.bpSizeBytes);
    this.#files.assertOpen("stageWrite");
    const path = this.#files.path(StateFile.staging);
    this.#stagingFd ??= io(path, "create", () => openSync(path, "w+"));
    writeFullyAt(this.#stagingFd, path, data, offset);
    this.#stagedLength = Math.max(this.#stagedLength, offset + data.length);
  }

  discardStaged(): void {
    this.#files.assertOpen("discardStaged");
    this.#closeStaging();
    removeIfPresent(this.#files.path(StateFile.staging));
    this.#stagedLength = 0;
  }

  /**
   * MC-21/MC-22: the staged file is extended with zeros to the BP size, made durable, and renamed
   * over bpN.img; the rename is the single atomic switch, so a kill at any point leaves the old
   * image or the new one. The size change is synced before the rename so a power loss cannot
   * leave a short bpN.img behind a durable rename.
   */
  commitStaged(bpid: BpId): void {
    validateBpid(bpid);
    this.#files.assertOpen("commitStaged");
    const stagingPath = this.#files.path(StateFile.staging);
    const fd = this.#stagingFd ?? io(stagingPath, "create", () => openSync(stagingPath, "w+"));
    this.#stagingFd = undefined;
    try {
      io(stagingPath, "extend to the BP size", () => ftruncateSync(fd, this.bpSizeBytes));
      this.#onCommitStep?.("staged-extended", bpid);
      io(stagingPath, "fsync", () => fsyncSync(fd));
      this.#onCommitStep?.("staged-synced", bpid);
    } finally {
      io(stagingPath, "close", () => closeSync(fd));
    }
    this.#stagedLength = 0;
    const bpPath = this.#bpPath(bpid);
    io(bpPath, "replace with the staged image", () => renameSync(stagingPath, bpPath));
    const oldFd = this.#bpFds[bpid];
    this.#bpFds[bpid] = this.#openBp(bpid);
    io(bpPath, "close the replaced image", () => closeSync(oldFd));
    this.#onCommitStep?.("renamed", bpid);
    fsyncDirectory(this.#files.dir);
    this.#onCommitStep?.("directory-synced", bpid);
  }

  setActiveBpid(bpid: BpId): void {
    validateBpid(bpid);
    this.#files.assertOpen("setActiveBpid");
    if (bpid === this.#meta.activeBpid) return;
    writeMeta(this.#files, { ...this.#meta, activeBpid: bpid });
    this.#meta.activeBpid = bpid;
  }

  close(): void {
    this.#closeStaging();
    for (const fd of this.#bpFds) closeSync(fd);
  }

  #closeStaging(): void {
    if (this.#stagingFd === undefined) return;
    const fd = this.#stagingFd;
    this.#stagingFd = undefined;
    io(this.#files.path(StateFile.staging), "close", () => closeSync(fd));
  }

  #bpPath(bpid: BpId): string {
    return this.#files.path(StateFile.bootPartitions[bpid]);
  }

  #openBp(bpid: BpId): number {
    const path = this.#bpPath(bpid);
    return io(path, "open", () => openSync(path, "r"));
  }
}

class FileNamespaceStore implements NamespaceStore {
  readonly sizeBytes: number;
  readonly #files: StateFiles;
  readonly #path: string;
  readonly #fd: number;

  constructor(files: StateFiles, sizeBytes: number) {
    this.#files = files;
    this.sizeBytes = sizeBytes;
    this.#path = files.path(StateFile.namespace);
    this.#fd = io(this.#path, "open", () => openSync(this.#path, "r+"));
  }

  read(offset: number, into: Uint8Array): void {
    checkRange("namespace read", offset, into.length, this.sizeBytes);
    this.#files.assertOpen("namespace read");
    readFullyAt(this.#fd, this.#path, into, offset);
  }

  write(offset: number, data: Uint8Array): void {
    checkRange("namespace write", offset, data.length, this.sizeBytes);
    this.#files.assertOpen("namespace write");
    writeFullyAt(this.#fd, this.#path, data, offset);
  }

  writeZeroes(offset: number, length: number): void {
    checkRange("namespace writeZeroes", offset, length, this.sizeBytes);
    this.#files.assertOpen("namespace writeZeroes");
    const zeros = new Uint8Array(Math.min(length, ZERO_PIECE_BYTES));
    for (let done = 0; done < length; done += zeros.length) {
      writeFullyAt(
        this.#fd,
        this.#path,
        zeros.subarray(0, Math.min(zeros.length, length - done)),
        offset + done,
      );
    }
  }

  flush(): void {
    this.#files.assertOpen("namespace flush");
    io(this.#path, "fsync", () => fsyncSync(this.#fd));
  }

  close(): void {
    closeSync(this.#fd);
  }
}

function writeMeta(files: StateFiles, meta: StateMeta): void {
  writeFileAtomic(files.dir, files.path(StateFile.meta), files.path(StateFile.metaTemp), serializeMeta(meta));
}

/** Images first, metadata last: a directory without meta.json was never a complete state directory. */
function initialize(files: StateFiles, geometry: StoreGeometry): void {
  const images: [string, number][] = [
    ...StateFile.bootPartitions.map((name): [string, number] => [name, geometry.bpSizeBytes]),
    [StateFile.namespace, geometry.namespaceSizeBytes],
  ];
  for (const [name, size] of images) {
    const path = files.path(name);
    io(path, "create", () => {
      const fd = openSync(path, "wx");
      try {
        ftruncateSync(fd, size);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    });
  }
  writeMeta(files, {
    format: STATE_FORMAT,
    version: STATE_VERSION,
    bpSizeBytes: geometry.bpSizeBytes,
    namespaceSizeBytes: geometry.namespaceSizeBytes,
    activeBpid: 0,
  });
}

function readExisting(files: StateFiles): StateMeta {
  const metaPath = files.path(StateFile.meta);
  const meta = parseMeta(
    io(metaPath, "read", () => readFileSync(metaPath, "utf8")),
    metaPath,
  );
  const images: [string, number][] = [
    ...StateFile.bootPartitions.map((name): [string, number] => [name, meta.bpSizeBytes]),
    [StateFile.namespace, meta.namespaceSizeBytes],
  ];
  for (const [name, expected] of images) {
    const path = files.path(name);
    const actual = fileSize(path);
    if (actual === undefined) {
      throw new StateDirError(
        "STATE_DIR_MISSING_FILE",
        path,
        `is missing (meta.json lists it, ${expected} bytes)`,
      );
    }
    if (actual !== expected) {
      throw new StateDirError(
        "STATE_DIR_SIZE_MISMATCH",
        path,
        `is ${actual} bytes but meta.json says ${expected} bytes`,
      );
    }
  }
  return meta;
}

function checkCreateMatches(metaPath: string, meta: StateMeta, create: StateDirOptions["create"]): void {
  if (!create) return;
  const wanted: [keyof StoreGeometry, number | undefined][] = [
    ["bpSizeBytes", create.bpSizeBytes],
    ["namespaceSizeBytes", create.namespaceSizeBytes],
  ];
  for (const [field, value] of wanted) {
    if (value !== undefined && value !== meta[field]) {
      throw new StateDirError(
        "STATE_DIR_GEOMETRY_MISMATCH",
        metaPath,
        `the directory has ${field}=${meta[field]} but ${value} was asked for; use a new directory to change the geometry`,
      );
    }
  }
}

/** Opens (and with `create`, creates) a state directory. */
export function openStateDir(dir: string, options: StateDirOptions = {}): StateDir {
  const files = new StateFiles(resolve(dir));
  const geometry = options.create ? resolveGeometry(options.create) : undefined;
  return openValidated(files, geometry, options);
}

function listDirectory(dir: string): string[] | undefined {
  try {
    return readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return undefined;
    if (code === "ENOTDIR") throw new StateDirError("STATE_DIR_NOT_A_STATE_DIR", dir, "is not a directory");
    return io(dir, "list", () => {
      throw error;
    });
  }
}

function openValidated(
  files: StateFiles,
  geometry: StoreGeometry | undefined,
  options: StateDirOptions,
): StateDir {
  const entries = listDirectory(files.dir);
  const metaPath = files.path(StateFile.meta);
  if (!entries?.includes(StateFile.meta)) {
    if (entries && entries.length > 0) {
      throw new StateDirError(
        "STATE_DIR_NOT_A_STATE_DIR",
        files.dir,
        `has files but no ${StateFile.meta}; refusing to use or overwrite it (create a state directory in a new or empty directory)`,
      );
    }
    if (!geometry) {
      throw new StateDirError(
        "STATE_DIR_NOT_FOUND",
        files.dir,
        entries ? `is empty: it holds no ${StateFile.meta}` : "does not exist",
      );
    }
    io(files.dir, "create", () => mkdirSync(files.dir, { recursive: true }));
    const release = acquireOwnerLock(files.path(StateFile.owner));
    try {
      initialize(files, geometry);
    } catch (error) {
      release();
      throw error;
    }
    return assemble(files, readExisting(files), release, options);
  }
  const meta = readExisting(files);
  checkCreateMatches(metaPath, meta, options.create);
  const release = acquireOwnerLock(files.path(StateFile.owner));
  return assemble(files, meta, release, options);
}

/** Reopening is a power cycle: what a previous process left staged is volatile and goes now. */
function assemble(
  files: StateFiles,
  meta: StateMeta,
  release: () => void,
  options: StateDirOptions,
): StateDir {
  let bootPartitions: FileBootPartitionStore | undefined;
  try {
    removeIfPresent(files.path(StateFile.staging));
    removeIfPresent(files.path(StateFile.metaTemp));
    bootPartitions = new FileBootPartitionStore(files, meta, options.onCommitStep);
    const namespace = new FileNamespaceStore(files, meta.namespaceSizeBytes);
    const opened = bootPartitions;
    return {
      path: files.dir,
      bootPartitions,
      namespace,
      close() {
        if (!files.markClosed()) return;
        try {
          opened.close();
          namespace.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    bootPartitions?.close();
    release();
    throw error;
  }
}
