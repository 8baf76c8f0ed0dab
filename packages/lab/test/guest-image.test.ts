import { mkdir, readdir, utimes } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HostUnsupportedError } from "../src/errors.js";
import {
  buildGuestImage,
  guestCacheDir,
  guestDownloadDir,
  guestImageKey,
  KEEP_OLDER_IMAGES,
  pruneGuestImages,
} from "../src/guest-image.js";
import { fakeRunner } from "./helpers/fake-runner.js";
import { scratchDirs } from "./helpers/scratch.js";

const inputs = {
  kernelDebSha256: "a".repeat(64),
  files: [
    ["/bin/busybox", "b".repeat(64)],
    ["/usr/sbin/nvme", "c".repeat(64)],
  ] as const,
  init: "#!/bin/busybox sh\n",
  library: "bplab_result() { :; }\n",
  moduleRoots: ["nvme"],
};

describe("guestImageKey", () => {
  it("is stable for the same inputs, whatever the file order", () => {
    const key = guestImageKey(inputs);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(guestImageKey({ ...inputs, files: [...inputs.files].reverse() })).toBe(key);
  });

  it("changes when any input changes", () => {
    const key = guestImageKey(inputs);
    const variants = [
      { ...inputs, kernelDebSha256: "d".repeat(64) },
      { ...inputs, files: [inputs.files[0], ["/usr/sbin/nvme", "e".repeat(64)] as const] },
      { ...inputs, files: [...inputs.files, ["/lib/x.so", "f".repeat(64)] as const] },
      { ...inputs, init: `${inputs.init}# changed\n` },
      { ...inputs, library: "" },
      { ...inputs, moduleRoots: ["nvme", "virtio_blk"] },
    ];
    const keys = new Set(variants.map(guestImageKey));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(key)).toBe(false);
  });
});

describe("guest cache", () => {
  const scratch = scratchDirs("bplab-lab-cache-");

  it("lives under the lab's cache root (guest/ and guest-dl/)", () => {
    expect(guestCacheDir("/c")).toBe("/c/guest");
    expect(guestDownloadDir("/c")).toBe("/c/guest-dl");
  });

  it("keeps the current image and the newest older ones", async () => {
    const root = await scratch();
    const names = ["old1", "old2", "old3", "current", ".build-1-x"];
    for (const [index, name] of names.entries()) {
      await mkdir(join(root, name));
      const when = new Date(Date.UTC(2025, 0, index + 1));
      await utimes(join(root, name), when, when);
    }
    const removed = pruneGuestImages(root, "current");
    expect(removed.sort()).toEqual(["old1", "old2"]);
    expect((await readdir(root)).sort()).toEqual([".build-1-x", "current", "old3"]);
    expect(KEEP_OLDER_IMAGES).toBe(1);
  });
});

describe("buildGuestImage on an unsuitable host", () => {
  it("says why before running any command", async () => {
    const { runner, calls } = fakeRunner(() => ({}));
    const host = { isLinux: true, isX64: true, isDebian: false, isRoot: true };
    await expect(buildGuestImage({ runner, host })).rejects.toThrow(HostUnsupportedError);
    await expect(buildGuestImage({ runner, host })).rejects.toThrow(/not Debian/);
    expect(calls).toEqual([]);
  });
});
