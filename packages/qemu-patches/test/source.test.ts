import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BadOptionError, SourceChecksumError } from "../src/errors.js";
import { downloadDir } from "../src/paths.js";
import { ORIG_TARBALL, ORIG_TARBALL_SHA256 } from "../src/pins.js";
import { sha256Hex } from "../src/series.js";
import { fetchSource, resolveSourceSync } from "../src/source.js";
import { scriptedRunner, tempDir } from "./helpers.js";

describe("resolveSourceSync", () => {
  it("uses a user tarball by its sha256 and says it is not the pinned one", () => {
    const tarball = join(tempDir(), "qemu-10.2.2.tar.xz");
    writeFileSync(tarball, "upstream bytes");
    expect(resolveSourceSync({ env: { BPLAB_QEMU_SRC: tarball } })).toEqual({
      kind: "tarball",
      path: tarball,
      identity: sha256Hex("upstream bytes"),
      verified: false,
    });
  });

  it("rejects a path that does not exist or a directory that is not a git checkout", () => {
    const dir = tempDir();
    expect(() => resolveSourceSync({ source: join(dir, "missing") })).toThrow(BadOptionError);
    expect(() => resolveSourceSync({ source: join(dir, "missing") })).toThrow("does not exist");
    expect(() => resolveSourceSync({ source: dir })).toThrow("is a directory but not a git checkout");
  });
});

describe("fetchSource", () => {
  it("refuses a downloaded tarball whose sha256 is not the pinned one, and moves it aside", async () => {
    const cacheDir = tempDir();
    const dir = downloadDir({ cacheDir });
    mkdirSync(dir, { recursive: true });
    const tarball = join(dir, ORIG_TARBALL);
    writeFileSync(tarball, "tampered");
    const runner = scriptedRunner();
    const run = fetchSource({ cacheDir, env: {}, runner });
    await expect(run).rejects.toBeInstanceOf(SourceChecksumError);
    await expect(fetchSource({ cacheDir, env: {}, runner, aptSourcesDir: tempDir() })).rejects.toThrow(
      /apt-get source failed and no Debian mirror is configured/,
    );
    expect(existsSync(`${tarball}.rejected`)).toBe(true);
    expect(runner.calls.filter((call) => call.args[0] === "source")).toHaveLength(1);
  });

  it("names both checksums in the error", async () => {
    const cacheDir = tempDir();
    const dir = downloadDir({ cacheDir });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, ORIG_TARBALL), "x");
    await expect(fetchSource({ cacheDir, env: {}, runner: scriptedRunner() })).rejects.toThrow(
      `sha256 ${sha256Hex("x")} does not match the pinned ${ORIG_TARBALL_SHA256}`,
    );
  });
});
