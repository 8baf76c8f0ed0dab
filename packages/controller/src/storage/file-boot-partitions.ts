/**
 * The Boot Partitions of a state directory: bp0.img and bp1.img, the staging.img a Firmware Image
 * Download writes, and ABPID in meta.json. A commit renames the staged file over the BP (MC-22).
 */
import type { BpId } from "@bplab/nvme-spec";
import { validateBpid } from "../memory-store.js";
import type { BootPartitionStore } from "../ports.js";
import { checkRange } from "../store-geometry.js";
import { fsyncDirectory, io, NODE_FILE_SYSTEM, readFullyAt, type StateDirFileSystem } from "./file-io.js";
import { StagingFile } from "./staging-file.js";
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
  readonly #staging: StagingFile;

  constructor(
    files: StateFiles,
    meta: StateMeta,
    onCommitStep: CommitStepHook | undefined,
    fileSystem: StateDirFileSystem = NODE_FILE_SYSTEM,
    writeBehindBytes?: number,
  ) {
    this.#files = files;
    this.#meta = meta;
    this.bpSizeBytes = meta.bpSizeBytes;
    this.#onCommitStep = onCommitStep;
    this.#fs = fileSystem;
    this.#staging = new StagingFile(files.path(StateFile.staging), fileSystem, writeBehindBytes);
    this.#bpFds = [this.#openBp(0), this.#openBp(1)];
  }

  get stagedLength(): number {
    return this.#staging.stagedLength;
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
   * Staging is a file written at each piece's offset, through one small write-behind buffer, so a
   * 1 GiB download never sits in RAM. A failed write discards the staged image (MC-71).
   */
  stageWrite(offset: number, data: Uint8Array): void {
    checkRange("stageWrite", offset, data.length, this.bpSizeBytes);
    this.#files.assertOpen("stageWrite");
    this.#staging.write(offset, data);
  }

  discardStaged(): void {
    this.#files.assertOpen("discardStaged");
    this.#staging.discard();
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
    const stagedLength = this.#staging.stagedLength;
    const stagingPath = this.#stagingPath();
    // Nothing staged commits an all-zero BP (MC-21 with an empty image); the controller refuses
    // that case earlier with Invalid Firmware Image (MC-20).
    const fd = this.#staging.takeForCommit();
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
      this.#staging.abandon(stagingOpen ? fd : undefined);
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
    this.#staging.close();
    for (const bpFd of this.#bpFds) this.#fs.closeSync(bpFd);
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
