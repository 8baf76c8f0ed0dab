/**
 * Issue 8 item 9 / MC-13: a Firmware Commit that fails with an I/O error must not leave a staged
 * image that a retried commit can turn into an all-zero BP. After any failed write the staged
 * image is discarded: the retry gets Invalid Firmware Image (1h/07h) and the BP keeps its old
 * image. Covered three ways: an injected failing fs call (runs anywhere), a real EFBIG from the
 * kernel (RLIMIT_FSIZE lowered with prlimit), and a real ENOSPC on a full tmpfs (root only).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CommitAction } from "@bplab/nvme-spec";
import { afterAll, describe, expect, it } from "vitest";
import {
  NODE_FILE_SYSTEM,
  openStateDir,
  type StateDir,
  type StateDirFileSystem,
} from "../../src/storage/index.js";
import { commit, download, setWriteProtection } from "../flows.js";
import {
  createRig,
  expectBpHolds,
  PAGE,
  pattern,
  type Rig,
  readBp,
  sameBytes,
  statusOf,
} from "../harness.js";
import { tempDirs } from "./temp-dirs.js";

const BP_BYTES = 256 * 1024;
const UNLOCK_BOTH = 0x09;
const REPLACE = CommitAction.ReplaceBootPartition;
const INVALID_FIRMWARE_IMAGE = "1h/07h";
const INTERNAL_ERROR = "0h/06h";

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

/** A state directory whose BP0 already holds `oldImage`, driven through a controller. */
function rigOnStateDir(
  dir: string,
  oldImage: Uint8Array,
  fileSystem?: StateDirFileSystem,
  stagingWriteBehindBytes?: number,
): { rig: Rig; state: StateDir } {
  const setup = openStateDir(dir, { create: { bpSizeBytes: BP_BYTES, namespaceSizeBytes: BP_BYTES } });
  setup.bootPartitions.stageWrite(0, oldImage);
  setup.bootPartitions.commitStaged(0);
  setup.close();
  const state = openStateDir(dir, { fileSystem, stagingWriteBehindBytes });
  const rig = createRig({ store: state });
  rig.host.enable();
  expect(statusOf(setWriteProtection(rig, UNLOCK_BOTH))).toBe("0h/00h");
  return { rig, state };
}

function stage(rig: Rig, image: Uint8Array): void {
  for (const cqe of download(rig, image, PAGE)) expect(statusOf(cqe)).toBe("0h/00h");
}

/** The rule after a commit failed on I/O: nothing staged, a retry is 1h/07h, the BP is old. */
function expectFailedCommitDiscarded(rig: Rig, state: StateDir, oldImage: Uint8Array): void {
  expect(rig.store.bootPartitions.stagedLength).toBe(0);
  expect(existsSync(join(state.path, "staging.img"))).toBe(false);
  expect(statusOf(commit(rig, REPLACE, 0))).toBe(INVALID_FIRMWARE_IMAGE);
  expect(sameBytes(readBp(rig, 0), oldImage)).toBe(true);
}

describe("a commit that fails with an I/O error discards the staged image (MC-13)", () => {
  it("injected: the extend-to-BP-size ftruncate fails once; the retry is 1h/07h, never zeros", () => {
    const oldImage = pattern(BP_BYTES, 1);
    let failNextExtend = false;
    const failing: StateDirFileSystem = {
      ...NODE_FILE_SYSTEM,
      ftruncateSync(fd, length) {
        if (failNextExtend && length === BP_BYTES) {
          failNextExtend = false;
          throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
        }
        NODE_FILE_SYSTEM.ftruncateSync(fd, length);
      },
    };
    const { rig, state } = rigOnStateDir(join(dirs.make(), "state"), oldImage, failing);
    stage(rig, pattern(2 * PAGE, 2));
    failNextExtend = true;
    expect(statusOf(commit(rig, REPLACE, 0))).toBe(INTERNAL_ERROR);
    expectFailedCommitDiscarded(rig, state, oldImage);
    // A new download after the failure commits normally.
    const newImage = pattern(3 * PAGE, 3);
    stage(rig, newImage);
    expect(statusOf(commit(rig, REPLACE, 0))).toBe("0h/00h");
    expectBpHolds(rig, 0, newImage);
    state.close();
  });

  it("injected: a failed rename leaves the old BP and nothing staged", () => {
    const oldImage = pattern(BP_BYTES, 4);
    const failing: StateDirFileSystem = {
      ...NODE_FILE_SYSTEM,
      renameSync() {
        throw Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
      },
    };
    const { rig, state } = rigOnStateDir(join(dirs.make(), "state"), oldImage, failing);
    stage(rig, pattern(PAGE, 5));
    expect(statusOf(commit(rig, REPLACE, 0))).toBe(INTERNAL_ERROR);
    expectFailedCommitDiscarded(rig, state, oldImage);
    state.close();
  });

  const prlimitMissing = spawnSync("prlimit", ["--version"]).status !== 0;
  if (prlimitMissing) console.log("skipping the RLIMIT_FSIZE test: the prlimit command is not available");

  it.skipIf(prlimitMissing)("real EFBIG: a file size limit below the BP size fails the commit", () => {
    const oldImage = pattern(BP_BYTES, 6);
    const { rig, state } = rigOnStateDir(join(dirs.make(), "state"), oldImage);
    stage(rig, pattern(2 * PAGE, 7));
    // Node ignores SIGXFSZ, so the kernel's answer to growing staging.img past the limit is EFBIG.
    const setSoftFileSizeLimit = (limit: string) =>
      execFileSync("prlimit", ["--pid", String(process.pid), `--fsize=${limit}:`]);
    setSoftFileSizeLimit(String(BP_BYTES / 2));
    try {
      expect(statusOf(commit(rig, REPLACE, 0))).toBe(INTERNAL_ERROR);
    } finally {
      setSoftFileSizeLimit("unlimited");
    }
    expect(rig.events.some((event) => JSON.stringify(event).includes("EFBIG"))).toBe(true);
    expectFailedCommitDiscarded(rig, state, oldImage);
    state.close();
  });

  const isRoot = process.getuid?.() === 0;
  if (!isRoot) console.log("skipping the full-tmpfs test: mounting a tmpfs needs root");

  /**
   * A tmpfs with room for the sparse BPs' metadata and one BP of data, not for a second staged
   * BP; `fillLeaving` leaves 4 pages free, so a 16-page piece runs out of space part-way.
   */
  function onFullTmpfs(body: (mountPoint: string) => void): void {
    const mountPoint = dirs.make("bplab-tmpfs-");
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${BP_BYTES + 64 * 1024}`, "tmpfs", mountPoint]);
    try {
      const dir = join(mountPoint, "state");
      mkdirSync(dir);
      body(dir);
    } finally {
      // Lazy: a failed test may leave a file open, and the mount must not outlive the run.
      execFileSync("umount", ["--lazy", mountPoint]);
    }
  }

  it.skipIf(!isRoot)(
    "real ENOSPC inside a download: the piece fails, the whole staged image is gone, the BP is old (MC-71)",
    () => {
      onFullTmpfs((dir) => {
        const oldImage = pattern(BP_BYTES, 8);
        // A one-page write-behind buffer: every larger piece goes to the file inside its command.
        const { rig, state } = rigOnStateDir(dir, oldImage, undefined, PAGE);
        try {
          stage(rig, pattern(PAGE, 9));
          fillLeaving(join(dir, "..", "filler"), 4);
          const [failedPiece] = download(rig, pattern(16 * PAGE, 10), 16 * PAGE, { startOffset: PAGE });
          expect(failedPiece && statusOf(failedPiece)).toBe(INTERNAL_ERROR);
          rmSync(join(dir, "..", "filler"));
          // Nothing staged any more: the next piece leaves a gap, and the image must start again.
          const [nextPiece] = download(rig, pattern(PAGE, 11), PAGE, { startOffset: 17 * PAGE });
          expect(nextPiece && statusOf(nextPiece)).toBe("0h/02h");
          expectFailedCommitDiscarded(rig, state, oldImage);
        } finally {
          state.close();
        }
      });
    },
  );

  it.skipIf(!isRoot)(
    "real ENOSPC when the commit writes the buffered pieces: 0h/06h, the BP is old, the retry is 1h/07h",
    () => {
      onFullTmpfs((dir) => {
        const oldImage = pattern(BP_BYTES, 12);
        const { rig, state } = rigOnStateDir(dir, oldImage);
        try {
          // 17 pages fit the default write-behind buffer: the downloads succeed without a write.
          stage(rig, pattern(17 * PAGE, 13));
          fillLeaving(join(dir, "..", "filler"), 4);
          expect(statusOf(commit(rig, REPLACE, 0))).toBe(INTERNAL_ERROR);
          expect(rig.events.some((event) => JSON.stringify(event).includes("ENOSPC"))).toBe(true);
          rmSync(join(dir, "..", "filler"));
          expectFailedCommitDiscarded(rig, state, oldImage);
        } finally {
          state.close();
        }
      });
    },
  );
});

/** Writes a file until the file system is full, then frees `freePages` pages for the next writer. */
function fillLeaving(path: string, freePages: number): void {
  const chunk = new Uint8Array(PAGE);
  try {
    for (;;) writeFileSync(path, chunk, { flag: "a" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  }
  truncateSync(path, statSync(path).size - freePages * PAGE);
}

describe("the controller drops the staged image when any store's commit throws (MC-13)", () => {
  it("a store that keeps its staged image after a failed commit still gets 1h/07h on the retry", () => {
    const rig = createRig();
    const store = rig.store.bootPartitions;
    const commitStaged = store.commitStaged.bind(store);
    let failures = 1;
    store.commitStaged = (bpid) => {
      if (failures-- > 0) throw new Error("simulated device write error");
      commitStaged(bpid);
    };
    rig.host.enable();
    expect(statusOf(setWriteProtection(rig, UNLOCK_BOTH))).toBe("0h/00h");
    stage(rig, pattern(2 * PAGE, 11));
    expect(statusOf(commit(rig, REPLACE, 0))).toBe(INTERNAL_ERROR);
    expect(store.stagedLength).toBe(0);
    expect(statusOf(commit(rig, REPLACE, 0))).toBe(INVALID_FIRMWARE_IMAGE);
    expect(readBp(rig, 0).every((byte) => byte === 0)).toBe(true);
  });
});
