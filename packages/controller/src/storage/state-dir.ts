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
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { BootPartitionStore, NamespaceStore } from "../ports.js";
import { checkRange, resolveGeometry, type StoreGeometry } from "../store-geometry.js";
import { StateDirError } from "./errors.js";
import { type CommitStepHook, FileBootPartitionStore } from "./file-boot-partitions.js";
import {
  fileSize,
  io,
  readFullyAt,
  removeIfPresent,
  type StateDirFileSystem,
  writeFullyAt,
} from "./file-io.js";
import { acquireOwnerLock } from "./owner-lock.js";
import { StateFiles, writeMeta } from "./state-files.js";
import { parseMeta, STATE_FORMAT, STATE_VERSION, StateFile, type StateMeta } from "./state-meta.js";

export type { CommitStep } from "./file-boot-partitions.js";
export type { StateDirFileSystem } from "./file-io.js";

export interface StateDirOptions {
  /** Create the directory when it is missing or empty; when it exists, its geometry must match. */
  create?: { bpSizeBytes: number; namespaceSizeBytes?: number };
  /** Called after each commit step. For crash tests: throwing here simulates dying at that point. */
  onCommitStep?: CommitStepHook;
  /** The file calls of downloads and commits; tests inject failures here (default: node:fs). */
  fileSystem?: StateDirFileSystem;
  /**
   * Bytes of contiguous download pieces gathered before one write to staging.img (default 1 MiB).
   * Tests set it small so a few pieces exercise every path of the write-behind buffer.
   */
  stagingWriteBehindBytes?: number;
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
    bootPartitions = new FileBootPartitionStore(
      files,
      meta,
      options.onCommitStep,
      options.fileSystem,
      options.stagingWriteBehindBytes,
    );
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
