import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readLockOwner } from "@bplab/node-kit";
import { afterAll, describe, expect, it } from "vitest";
import { type CommitStep, openStateDir, type StateDir } from "../../src/storage/index.js";
import {
  BP_BYTES,
  describeStoreContract,
  expectSameBytes,
  isAllZero,
  NS_BYTES,
  pattern,
} from "./store-contract.js";
import { snapshotDirectory, tempDirs } from "./temp-dirs.js";

const dirs = tempDirs();
afterAll(() => dirs.removeAll());

describeStoreContract("openStateDir", (geometry) =>
  openStateDir(join(dirs.make(), "state"), { create: geometry }),
);

const GEOMETRY = { bpSizeBytes: BP_BYTES, namespaceSizeBytes: NS_BYTES };

function createdDir(): string {
  const dir = join(dirs.make(), "state");
  openStateDir(dir, { create: GEOMETRY }).close();
  return dir;
}

function readBp(state: StateDir, bpid: 0 | 1): Uint8Array {
  const bytes = new Uint8Array(state.bootPartitions.bpSizeBytes);
  state.bootPartitions.readBp(bpid, 0, bytes);
  return bytes;
}

describe("openStateDir: layout and persistence", () => {
  it("creates meta.json and sparse images of the geometry's size", () => {
    const dir = join(dirs.make(), "state");
    const state = openStateDir(dir, { create: { bpSizeBytes: 1024 ** 3, namespaceSizeBytes: 1024 ** 3 } });
    state.close();
    expect(JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"))).toEqual({
      format: "bplab-state",
      version: 1,
      bpSizeBytes: 1024 ** 3,
      namespaceSizeBytes: 1024 ** 3,
      activeBpid: 0,
    });
    for (const name of ["bp0.img", "bp1.img", "namespace.img"]) {
      const stats = statSync(join(dir, name));
      expect(stats.size).toBe(1024 ** 3);
      // A sparse file holds (almost) no blocks; a written one would hold 2 Mi 512-byte blocks.
      expect(stats.blocks).toBeLessThan(1024);
    }
    expect(existsSync(join(dir, "owner.lock"))).toBe(false);
  });

  it("keeps BP contents, namespace bytes and ABPID across a reopen", () => {
    const dir = createdDir();
    const first = openStateDir(dir);
    first.bootPartitions.stageWrite(0, pattern(BP_BYTES, 11));
    first.bootPartitions.commitStaged(1);
    first.bootPartitions.setActiveBpid(1);
    first.namespace.write(4096, pattern(4096, 12));
    first.namespace.flush();
    first.close();

    const second = openStateDir(dir);
    expectSameBytes(readBp(second, 1), pattern(BP_BYTES, 11), "BP1");
    expect(readBp(second, 0)).toSatisfy(isAllZero);
    expect(second.bootPartitions.activeBpid).toBe(1);
    const ns = new Uint8Array(4096);
    second.namespace.read(4096, ns);
    expectSameBytes(ns, pattern(4096, 12), "namespace");
    second.close();
    expect(existsSync(join(dir, "meta.json.tmp"))).toBe(false);
  });

  it("treats a reopen as a power cycle: the staged image is gone (MC-14, MC-42)", () => {
    const dir = createdDir();
    const first = openStateDir(dir);
    first.bootPartitions.stageWrite(0, pattern(8192, 13));
    expect(existsSync(join(dir, "staging.img"))).toBe(true);
    first.close();
    const second = openStateDir(dir);
    expect(second.bootPartitions.stagedLength).toBe(0);
    expect(existsSync(join(dir, "staging.img"))).toBe(false);
    second.bootPartitions.commitStaged(0);
    expect(readBp(second, 0)).toSatisfy(isAllZero);
    second.close();
  });

  it("opens an existing directory when create asks for the same geometry", () => {
    const dir = createdDir();
    const state = openStateDir(dir, { create: { bpSizeBytes: BP_BYTES } });
    expect(state.bootPartitions.bpSizeBytes).toBe(BP_BYTES);
    expect(state.namespace.sizeBytes).toBe(NS_BYTES);
    state.close();
  });

  it("refuses to be used after close", () => {
    const state = openStateDir(createdDir());
    state.close();
    state.close();
    expect(() => state.bootPartitions.readBp(0, 0, new Uint8Array(1))).toThrow(
      expect.objectContaining({ code: "STORAGE_CLOSED" }),
    );
    expect(() => state.namespace.flush()).toThrow(/closed/);
  });
});

describe("openStateDir: one owner at a time", () => {
  it("rejects a second open while the first is live", () => {
    const dir = createdDir();
    const state = openStateDir(dir);
    expect(() => openStateDir(dir)).toThrow(expect.objectContaining({ code: "STATE_DIR_BUSY" }));
    state.close();
    openStateDir(dir).close();
  });

  it("takes over a lock left by a process that died", () => {
    const dir = createdDir();
    const exited = spawnSync(process.execPath, ["-e", "process.exit(0)"]);
    writeFileSync(join(dir, "owner.lock"), `${exited.pid}\n`);
    const state = openStateDir(dir);
    expect(readLockOwner(join(dir, "owner.lock"))).toBe(process.pid);
    state.close();
  });
});

describe("openStateDir: corrupt or mismatched directories are reported and never written", () => {
  function expectRejected(
    dir: string,
    code: string,
    message: RegExp,
    create?: { bpSizeBytes: number },
  ): void {
    const before = snapshotDirectory(dir);
    const open = () => openStateDir(dir, create ? { create } : {});
    expect(open).toThrow(expect.objectContaining({ name: "StateDirError", code }));
    expect(open).toThrow(message);
    expect(snapshotDirectory(dir)).toEqual(before);
  }

  it("a missing directory without create", () => {
    const dir = join(dirs.make(), "absent");
    expect(() => openStateDir(dir)).toThrow(expect.objectContaining({ code: "STATE_DIR_NOT_FOUND" }));
    expect(existsSync(dir)).toBe(false);
  });

  it("an empty directory without create", () => {
    expectRejected(dirs.make(), "STATE_DIR_NOT_FOUND", /is empty: it holds no meta.json/);
  });

  it("a directory with other files, even with create", () => {
    const dir = dirs.make();
    writeFileSync(join(dir, "notes.txt"), "mine");
    expectRejected(dir, "STATE_DIR_NOT_A_STATE_DIR", /has files but no meta.json/, { bpSizeBytes: BP_BYTES });
  });

  it("a path that is a file", () => {
    const file = join(dirs.make(), "file");
    writeFileSync(file, "x");
    expect(() => openStateDir(file)).toThrow(expect.objectContaining({ code: "STATE_DIR_NOT_A_STATE_DIR" }));
  });

  const metaCases: [string, (meta: Record<string, unknown>) => string, string, RegExp][] = [
    ["bad JSON", () => "{ not json", "STATE_DIR_CORRUPT_META", /meta.json: is not valid JSON/],
    ["an array", () => "[]", "STATE_DIR_CORRUPT_META", /must hold a JSON object/],
    [
      "a wrong format",
      (m) => JSON.stringify({ ...m, format: "other" }),
      "STATE_DIR_WRONG_FORMAT",
      /"format" must be "bplab-state", got "other"/,
    ],
    [
      "a future version",
      (m) => JSON.stringify({ ...m, version: 2 }),
      "STATE_DIR_UNSUPPORTED_VERSION",
      /"version" 2 is not supported/,
    ],
    [
      "a bad ABPID",
      (m) => JSON.stringify({ ...m, activeBpid: 2 }),
      "STATE_DIR_CORRUPT_META",
      /"activeBpid" must be 0 or 1, got 2/,
    ],
    [
      "a BP size off the 128 KiB grid",
      (m) => JSON.stringify({ ...m, bpSizeBytes: 1000 }),
      "STATE_DIR_CORRUPT_META",
      /"bpSizeBytes" is invalid: .*multiple of 131072/,
    ],
    [
      "a missing namespace size",
      (m) => JSON.stringify({ ...m, namespaceSizeBytes: undefined }),
      "STATE_DIR_CORRUPT_META",
      /"namespaceSizeBytes" is invalid/,
    ],
  ];
  it.each(metaCases)("meta.json with %s", (_label, edit, code, message) => {
    const dir = createdDir();
    const meta = JSON.parse(readFileSync(join(dir, "meta.json"), "utf8"));
    writeFileSync(join(dir, "meta.json"), edit(meta));
    expectRejected(dir, code, message);
  });

  it("an image whose size differs from meta.json", () => {
    const dir = createdDir();
    truncateSync(join(dir, "bp1.img"), BP_BYTES - 4096);
    expectRejected(
      dir,
      "STATE_DIR_SIZE_MISMATCH",
      /bp1.img: is 126976 bytes but meta.json says 131072 bytes/,
    );
  });

  it("a missing image", () => {
    const dir = createdDir();
    unlinkSync(join(dir, "namespace.img"));
    expectRejected(dir, "STATE_DIR_MISSING_FILE", /namespace.img: is missing/);
  });

  it("create options that disagree with the existing geometry", () => {
    const dir = createdDir();
    expectRejected(dir, "STATE_DIR_GEOMETRY_MISMATCH", /has bpSizeBytes=131072 but 262144 was asked for/, {
      bpSizeBytes: 2 * BP_BYTES,
    });
  });

  it("bad create geometry before anything is created", () => {
    const dir = join(dirs.make(), "state");
    expect(() => openStateDir(dir, { create: { bpSizeBytes: 5 } })).toThrow(
      expect.objectContaining({ code: "STORAGE_INVALID_ARGUMENT", field: "bpSizeBytes" }),
    );
    expect(existsSync(dir)).toBe(false);
  });
});

describe("openStateDir: a commit interrupted after any step leaves old or new content (MC-22)", () => {
  class SimulatedCrash extends Error {}
  const steps: [CommitStep, "old" | "new"][] = [
    ["staged-extended", "old"],
    ["staged-synced", "old"],
    ["renamed", "new"],
    ["directory-synced", "new"],
  ];
  it.each(steps)("stopping after %s leaves the %s image", (crashStep, expected) => {
    const dir = createdDir();
    const oldImage = pattern(BP_BYTES, 21);
    const newImage = pattern(BP_BYTES / 2, 22);
    const setup = openStateDir(dir);
    setup.bootPartitions.stageWrite(0, oldImage);
    setup.bootPartitions.commitStaged(0);
    setup.close();

    const crashing = openStateDir(dir, {
      onCommitStep: (step) => {
        if (step === crashStep) throw new SimulatedCrash(step);
      },
    });
    crashing.bootPartitions.stageWrite(0, newImage);
    expect(() => crashing.bootPartitions.commitStaged(0)).toThrow(SimulatedCrash);
    crashing.close();

    const reopened = openStateDir(dir);
    const bp0 = readBp(reopened, 0);
    if (expected === "old") {
      expectSameBytes(bp0, oldImage, "BP0 (old)");
    } else {
      expectSameBytes(bp0.subarray(0, newImage.length), newImage, "BP0 (new)");
      expect(bp0.subarray(newImage.length)).toSatisfy(isAllZero);
    }
    expect(readBp(reopened, 1)).toSatisfy(isAllZero);
    expect(existsSync(join(dir, "staging.img"))).toBe(false);
    reopened.close();
  });
});
