/**
 * Synchronous file helpers for the state directory. The controller is synchronous, so storage is
 * too; every helper loops until all bytes moved (the OS may do less per call) and turns OS errors
 * into StateDirError naming the file.
 */
import {
  closeSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { StateDirError } from "./errors.js";

/**
 * The file calls a download and a commit make, as a port: tests inject a failing call to prove a
 * failed commit never writes a wrong image (MC-13), where a real disk error is hard to provoke.
 */
export interface StateDirFileSystem {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, data: Uint8Array, offset: number, length: number, position: number): number;
  ftruncateSync(fd: number, length: number): void;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
}

export const NODE_FILE_SYSTEM: StateDirFileSystem = Object.freeze({
  openSync: (path: string, flags: string) => openSync(path, flags),
  writeSync: (fd: number, data: Uint8Array, offset: number, length: number, position: number) =>
    writeSync(fd, data, offset, length, position),
  ftruncateSync: (fd: number, length: number) => ftruncateSync(fd, length),
  fsyncSync: (fd: number) => fsyncSync(fd),
  closeSync: (fd: number) => closeSync(fd),
  renameSync: (from: string, to: string) => renameSync(from, to),
});

/** Runs an fs call; an OS error becomes STATE_DIR_IO naming the file and what we tried. */
export function io<T>(path: string, action: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof StateDirError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new StateDirError("STATE_DIR_IO", path, `cannot ${action}: ${reason}`, { cause: error });
  }
}

export function readFullyAt(fd: number, path: string, into: Uint8Array, position: number): void {
  let done = 0;
  while (done < into.length) {
    const got = io(path, "read", () => readSync(fd, into, done, into.length - done, position + done));
    if (got === 0) {
      throw new StateDirError(
        "STATE_DIR_SIZE_MISMATCH",
        path,
        `file ended at ${position + done} bytes while reading ${into.length} bytes at ${position}`,
      );
    }
    done += got;
  }
}

export function writeFullyAt(
  fd: number,
  path: string,
  data: Uint8Array,
  position: number,
  fileSystem: StateDirFileSystem = NODE_FILE_SYSTEM,
): void {
  let done = 0;
  while (done < data.length) {
    done += io(path, "write", () =>
      fileSystem.writeSync(fd, data, done, data.length - done, position + done),
    );
  }
}

/** A rename is durable only once its directory entry is on disk. */
export function fsyncDirectory(dir: string): void {
  io(dir, "fsync the directory", () => {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
}

/** Write-temp + fsync + rename + fsync dir: readers see the old file or the new one, never half. */
export function writeFileAtomic(dir: string, path: string, tempPath: string, text: string): void {
  io(tempPath, "write", () => {
    const fd = openSync(tempPath, "w");
    try {
      writeFullyAt(fd, tempPath, new TextEncoder().encode(text), 0);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  });
  io(path, "replace", () => renameSync(tempPath, path));
  fsyncDirectory(dir);
}

/** The size of a regular file, or undefined when there is no such file. */
export function fileSize(path: string): number | undefined {
  const stats = io(path, "stat", () => statSync(path, { throwIfNoEntry: false }));
  if (stats === undefined) return undefined;
  if (!stats.isFile()) {
    throw new StateDirError("STATE_DIR_NOT_A_STATE_DIR", path, "must be a regular file");
  }
  return stats.size;
}

export function removeIfPresent(path: string): void {
  io(path, "remove", () => rmSync(path, { force: true }));
}
