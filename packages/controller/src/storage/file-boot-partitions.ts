/**
 * The Boot Partitions of a state directory: bp0.img and bp1.img, the staging.img a Firmware Image
 * Download writes, and ABPID in meta.json. A commit renames the staged file over the BP (MC-22).
 */
import type { BpId } from "@bplab/nvme-spec";
import { validateBpid } from "../memory-store.js";
import type { BootPartitionStore } from "../ports.js";
import { checkRange } from "../store-geometry.js";
import { StateDirError } from "./errors.js";
import {
  fsyncDirectory,
  io,
  NODE_FILE_SYSTEM,
  readFullyAt,
  removeIfPresent,
  type StateDirFileSystem,
  writeFullyAt,
} from "./file-io.js";
import { type StateFiles, writeMeta } from "./state-files.js";
import { StateFile, type StateMeta } from "./state-meta.js";

/** The steps of an atomic commit (MC-22), in order; tests stop a commit after any of them. */
export type CommitStep = "staged-extended" | "staged-synced" | "renamed" | "directory-synced";

export type CommitStepHook = (step: CommitStep, bpid: BpId) => void;

export class FileBootPartitionStore implements BootPartitionStore {
  readonly bpSizeBytes: number;
  readonly #files: StateFiles;
  readonly #meta: StateMeta;
  readonly #bpFds: [number, number];
  readonly #onCommitStep: CommitStepHook | undefined;
  readonly #fs: StateDirFileSystem;
  /** Open exactly while an image is staged (stagedLength > 0). */
  #stagingFd: number | undefined;
  #stagedLength = 0;

  constructor(
    files: StateFiles,
    meta: StateMeta,
    onCommitStep: CommitStepHook | undefined,
    fileSystem: StateDirFileSystem = NODE_FILE_SYSTEM,
  ) {
    this.#files = files;
    this.#meta = meta;
    this.bpSizeBytes = meta.bpSizeBytes;
    this.#onCommitStep = onCommitStep;
    this.#fs = fileSystem;
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

  /**
   * Staging is a file, so a 1 GiB download never sits in RAM. A failed write leaves the staged
   * length as it was; whatever the failed write left past it is cut off by the commit (MC-21).
   */
  stageWrite(offset: number, data: Uint8Array): void {
    checkRange("stageWrite", offset, data.length, this.bpSizeBytes);
    this.#files.assertOpen("stageWrite");
    const path = this.#stagingPath();
    const fd = this.#stagingFd ?? this.#openNewStaging();
    this.#stagingFd = fd;
    writeFullyAt(fd, path, data, offset, this.#fs);
    this.#stagedLength = Math.max(this.#stagedLength, offset + data.length);
  }

  discardStaged(): void {
    this.#files.assertOpen("discardStaged");
    const fd = this.#stagingFd;
    this.#stagingFd = undefined;
    this.#stagedLength = 0;
    if (fd !== undefined) io(this.#stagingPath(), "close", () => this.#fs.closeSync(fd));
    removeIfPresent(this.#stagingPath());
  }

  /**
   * MC-21/MC-22: the staged file is cut to the staged length, extended with zeros to the BP size,
   * made durable, and renamed over bpN.img; the rename is the single atomic switch, so a kill at
   * any point leaves the old image or the new one.
   *
   * MC-13: the commit consumes the staged image whether it succeeds or throws. A commit that
   * fails part-way cannot vouch for the staging file any more (a retry that reopened it used to
   * truncate it and commit zeros), so on failure the file is removed and nothing stays staged.
   */
  commitStaged(bpid: BpId): void {
    validateBpid(bpid);
    this.#files.assertOpen("commitStaged");
    const stagedLength = this.#stagedLength;
    const stagingPath = this.#stagingPath();
    // Nothing staged commits an all-zero BP (MC-21 with an empty image); the controller refuses
    // that case earlier with Invalid Firmware Image (MC-20).
    const fd = this.#stagingFd ?? this.#openNewStaging();
    this.#stagingFd = undefined;
    this.#stagedLength = 0;
    let stagingOpen = true;
    try {
      io(stagingPath, "cut to the staged length", () => this.#fs.ftruncateSync(fd, stagedLength));
      io(stagingPath, "extend to the BP size", () => this.#fs.ftruncateSync(fd, this.bpSizeBytes));
      this.#onCommitStep?.("staged-extended", bpid);
      io(stagingPath, "fsync", () => this.#fs.fsyncSync(fd));
      this.#onCommitStep?.("staged-synced", bpid);
      stagingOpen = false;
      io(stagingPath, "close", () => this.#fs.closeSync(fd));
      const bpPath = this.#bpPath(bpid);
      io(bpPath, "replace with the staged image", () => this.#fs.renameSync(stagingPath, bpPath));
    } catch (error) {
      this.#abandonStaging(stagingOpen ? fd : undefined);
      throw error;
    }
    const bpPath = this.#bpPath(bpid);
    const oldFd = this.#bpFds[bpid];
    this.#bpFds[bpid] = this.#openBp(bpid);
    io(bpPath, "close the replaced image", () => this.#fs.closeSync(oldFd));
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
    const fd = this.#stagingFd;
    this.#stagingFd = undefined;
    if (fd !== undefined) this.#fs.closeSync(fd);
    for (const bpFd of this.#bpFds) this.#fs.closeSync(bpFd);
  }

  /** A new image starts from an empty file: "w+" truncates whatever an earlier image left. */
  #openNewStaging(): number {
    if (this.#stagedLength > 0) {
      throw new StateDirError(
        "STATE_DIR_IO",
        this.#stagingPath(),
        `${this.#stagedLength} bytes are staged but the staging file is not open; refusing to truncate it`,
      );
    }
    const path = this.#stagingPath();
    return io(path, "create", () => this.#fs.openSync(path, "w+"));
  }

  /** Best effort after a failed commit: the original error is the one the caller must see. */
  #abandonStaging(fd: number | undefined): void {
    try {
      if (fd !== undefined) this.#fs.closeSync(fd);
    } catch {}
    try {
      removeIfPresent(this.#stagingPath());
    } catch {}
  }

  #stagingPath(): string {
    return this.#files.path(StateFile.staging);
  }

  #bpPath(bpid: BpId): string {
    return this.#files.path(StateFile.bootPartitions[bpid]);
  }

  #openBp(bpid: BpId): number {
    const path = this.#bpPath(bpid);
    return io(path, "open", () => this.#fs.openSync(path, "r"));
  }
}
