/**
 * staging.img while a Firmware Image Download is in progress: the image goes to the file at its
 * offset, never into a whole-image buffer, so a 1 GiB download holds one small buffer in RAM.
 *
 * Why a write-behind buffer: hosts download in FWUG pieces (4 KiB), and the controller hands each
 * PRP segment over on its own. One pwrite per 4 KiB costs a system call each, several times the
 * cost of the command itself; contiguous pieces are gathered into one fixed buffer and written
 * when it is full, when a piece does not continue it, and before the commit. The buffer is the
 * only copy the store keeps: callers may pass views of host memory and reuse them at once.
 *
 * MC-71: a write error on staging.img, when the buffer is written or a large piece goes straight
 * to the file, discards the whole staged image: some already accepted pieces may never have
 * reached the file, so the store cannot vouch for any of it (the same rule as a failed commit,
 * MC-13). The command that hit the error fails; the host downloads again from OFST=0.
 */
import { StateDirError } from "./errors.js";
import { io, NODE_FILE_SYSTEM, removeIfPresent, type StateDirFileSystem, writeFullyAt } from "./file-io.js";

/** 1 MiB: 1 Ki write calls for a 1 GiB image, and a buffer too small to show in the RSS. */
export const DEFAULT_WRITE_BEHIND_BYTES = 1024 * 1024;

export class StagingFile {
  readonly #path: string;
  readonly #fs: StateDirFileSystem;
  readonly #writeBehindBytes: number;
  /** Open exactly while an image is staged (stagedLength > 0). */
  #fd: number | undefined;
  #stagedLength = 0;
  /** Allocated on the first download and kept: a second image reuses it. */
  #pending: Uint8Array | undefined;
  /** Where the buffered bytes belong in the file, and how many there are. */
  #pendingStart = 0;
  #pendingLength = 0;

  constructor(path: string, fileSystem: StateDirFileSystem = NODE_FILE_SYSTEM, writeBehindBytes?: number) {
    this.#path = path;
    this.#fs = fileSystem;
    this.#writeBehindBytes = writeBehindBytes ?? DEFAULT_WRITE_BEHIND_BYTES;
    if (!Number.isSafeInteger(this.#writeBehindBytes) || this.#writeBehindBytes < 1) {
      throw new StateDirError(
        "STATE_DIR_IO",
        path,
        `the write-behind buffer must be a positive whole number of bytes, got ${writeBehindBytes}`,
      );
    }
  }

  get stagedLength(): number {
    return this.#stagedLength;
  }

  /** Callers check the range first. On any error the staged image is gone (MC-71). */
  write(offset: number, data: Uint8Array): void {
    try {
      this.#write(offset, data);
    } catch (error) {
      this.#abandon();
      throw error;
    }
    this.#stagedLength = Math.max(this.#stagedLength, offset + data.length);
  }

  /**
   * Hands the staged image to a commit: everything buffered is in the file, the descriptor is the
   * caller's to sync and close, and nothing is staged any more. Nothing staged gives an empty new
   * file (the commit makes it an all-zero BP, MC-21). A failed write discards the image (MC-71).
   */
  takeForCommit(): number {
    let fd: number;
    try {
      fd = this.#openFd();
      this.#flush();
    } catch (error) {
      this.#abandon();
      throw error;
    }
    this.#fd = undefined;
    this.#stagedLength = 0;
    return fd;
  }

  discard(): void {
    const fd = this.#fd;
    this.#forget();
    if (fd !== undefined) io(this.#path, "close", () => this.#fs.closeSync(fd));
    removeIfPresent(this.#path);
  }

  /** Staging is volatile (MC-14): what is buffered is dropped with the file at the next open. */
  close(): void {
    const fd = this.#fd;
    this.#forget();
    this.#pending = undefined;
    if (fd !== undefined) this.#fs.closeSync(fd);
  }

  /** Best effort after a failed write or commit: the original error is the one the caller sees. */
  abandon(fd?: number): void {
    try {
      if (fd !== undefined) this.#fs.closeSync(fd);
    } catch {}
    this.#abandon();
  }

  #write(offset: number, data: Uint8Array): void {
    const fd = this.#openFd();
    if (this.#pendingLength > 0 && offset !== this.#pendingStart + this.#pendingLength) this.#flush();
    if (this.#pendingLength === 0 && data.length >= this.#writeBehindBytes) {
      // Gathering would only add a copy: a piece this large is one good-sized write already.
      writeFullyAt(fd, this.#path, data, offset, this.#fs);
      return;
    }
    const pending = this.#pendingBuffer();
    if (this.#pendingLength === 0) this.#pendingStart = offset;
    let done = 0;
    while (done < data.length) {
      const length = Math.min(data.length - done, pending.length - this.#pendingLength);
      pending.set(data.subarray(done, done + length), this.#pendingLength);
      this.#pendingLength += length;
      done += length;
      if (this.#pendingLength === pending.length) {
        this.#flush();
        this.#pendingStart = offset + done;
      }
    }
  }

  #flush(): void {
    if (this.#pendingLength === 0) return;
    const fd = this.#openFd();
    const bytes = this.#pendingBuffer().subarray(0, this.#pendingLength);
    writeFullyAt(fd, this.#path, bytes, this.#pendingStart, this.#fs);
    this.#pendingLength = 0;
  }

  #pendingBuffer(): Uint8Array {
    this.#pending ??= new Uint8Array(this.#writeBehindBytes);
    return this.#pending;
  }

  /** A new image starts from an empty file: "w+" truncates whatever an earlier image left. */
  #openFd(): number {
    if (this.#fd !== undefined) return this.#fd;
    if (this.#stagedLength > 0) {
      throw new StateDirError(
        "STATE_DIR_IO",
        this.#path,
        `${this.#stagedLength} bytes are staged but the staging file is not open; refusing to truncate it`,
      );
    }
    const path = this.#path;
    this.#fd = io(path, "create", () => this.#fs.openSync(path, "w+"));
    return this.#fd;
  }

  #forget(): void {
    this.#fd = undefined;
    this.#stagedLength = 0;
    this.#pendingLength = 0;
  }

  #abandon(): void {
    const fd = this.#fd;
    this.#forget();
    try {
      if (fd !== undefined) this.#fs.closeSync(fd);
    } catch {}
    try {
      removeIfPresent(this.#path);
    } catch {}
  }
}
