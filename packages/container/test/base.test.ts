import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandRunner, RunResult } from "@bplab/node-kit";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  baseKey,
  baseSourcesList,
  debianMirror,
  emptyAptCaches,
  ensureBaseImage,
  mirrorFromSourcesList,
  securityMirror,
} from "../src/base.js";
import { ContainerError } from "../src/errors.js";
import { ensureLabImage } from "../src/image.js";

const result = (exitCode: number, stdout = "", stderr = ""): RunResult => ({
  exitCode,
  stdout,
  stderr,
  tail: stderr,
});

/** A fake `docker` that knows some images (size and base-key label) and records every call. */
function fakeDocker(
  images: Record<string, { size: number; label?: string }>,
  calls: string[][],
): CommandRunner {
  return async (command, args) => {
    calls.push([command, ...args]);
    if (args[0] === "version") return result(0, "20.10.24\n");
    if (args[0] === "image" && args[1] === "inspect") {
      const image = images[args.at(-1) ?? ""];
      if (!image) return result(1, "", "Error: No such image");
      return result(0, `${args[3]?.includes("Labels") ? (image.label ?? "<no value>") : image.size}\n`);
    }
    return result(0);
  };
}

describe("the mirror of the base image comes from apt's configuration", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("reads one-line sources.list entries, skipping other suites, comments and [options]", () => {
    const text = [
      "# deb http://old.example/debian bookworm main",
      "deb-src http://src.example/debian bookworm main",
      "deb http://sec.example/debian-security bookworm-security main",
      "deb [arch=amd64 signed-by=/k.gpg] http://main.example/debian bookworm main contrib",
    ].join("\n");
    expect(mirrorFromSourcesList(text)).toBe("http://main.example/debian");
    expect(mirrorFromSourcesList("deb http://x.example/debian trixie main\n")).toBeUndefined();
  });

  it("prefers deb822 .sources files and falls back to sources.list", () => {
    dir = mkdtempSync(join(tmpdir(), "bplab-apt-"));
    const sourcesDir = join(dir, "sources.list.d");
    mkdirSync(sourcesDir);
    const list = join(dir, "sources.list");
    writeFileSync(list, "deb http://list.example/debian bookworm main\n");
    expect(debianMirror({ aptSourcesDir: sourcesDir, aptSourcesList: list })).toBe(
      "http://list.example/debian",
    );
    writeFileSync(
      join(sourcesDir, "debian.sources"),
      "Types: deb\nURIs: http://deb822.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n",
    );
    expect(debianMirror({ aptSourcesDir: sourcesDir, aptSourcesList: list })).toBe(
      "http://deb822.example/debian",
    );
  });

  it("keys the cached rootfs by the mirror", () => {
    expect(baseKey("http://a.example/debian")).not.toBe(baseKey("http://b.example/debian"));
    expect(baseKey("http://a.example/debian")).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe("ensureBaseImage", () => {
  let dir = "";
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bplab-base-"));
    writeFileSync(join(dir, "sources.list"), "deb http://m.example/debian bookworm main\n");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const apt = () => ({
    aptSourcesDir: join(dir, "none"),
    aptSourcesList: join(dir, "sources.list"),
    cacheDir: dir,
  });
  const imports = (calls: string[][]) => calls.filter((c) => c[1] === "import");

  it("keeps a pulled debian:bookworm (no label) and one it made with the current recipe", async () => {
    const key = baseKey("http://m.example/debian", undefined);
    for (const label of [undefined, key]) {
      const calls: string[][] = [];
      const images = { "debian:bookworm": { size: 1, ...(label ? { label } : {}) } };
      const base = await ensureBaseImage({ runner: fakeDocker(images, calls), env: {}, ...apt() });
      expect(base).toEqual({ reference: "debian:bookworm", built: false });
      expect(imports(calls)).toEqual([]);
    }
  });

  it("re-imports a base it made from an older recipe, from the cached rootfs, labelled with the new key", async () => {
    const key = baseKey("http://m.example/debian", undefined);
    mkdirSync(join(dir, "docker-base"));
    writeFileSync(join(dir, "docker-base", `${key}.tar`), "rootfs");
    const calls: string[][] = [];
    const images = { "debian:bookworm": { size: 1, label: "0123456789abcdef" } };
    const base = await ensureBaseImage({
      runner: fakeDocker(images, calls),
      env: {},
      isRoot: false,
      ...apt(),
    });
    expect(base.built).toBe(true);
    expect(imports(calls)).toEqual([
      [
        "docker",
        "import",
        "--change",
        `LABEL org.bplab.base-key=${key}`,
        join(dir, "docker-base", `${key}.tar`),
        `bplab/debian-base:${key}`,
      ],
    ]);
    expect(calls.at(-1)).toEqual(["docker", "tag", `bplab/debian-base:${key}`, "debian:bookworm"]);
  });

  it("refuses to debootstrap when not root, and says how to get the base instead", async () => {
    const calls: string[][] = [];
    const attempt = ensureBaseImage({ runner: fakeDocker({}, calls), env: {}, isRoot: false, ...apt() });
    await expect(attempt).rejects.toBeInstanceOf(ContainerError);
    await expect(attempt).rejects.toMatchObject({
      code: "CONTAINER_BASE_FAILED",
      fix: expect.stringMatching(/docker pull debian:bookworm/),
    });
    expect(calls.some((c) => c[0]?.endsWith("debootstrap"))).toBe(false);
  });
});

describe("the base's apt sources", () => {
  it("enable bookworm, -updates and -security like the official image, from apt's own archives", () => {
    const dir = mkdtempSync(join(tmpdir(), "bplab-apt-"));
    try {
      writeFileSync(
        join(dir, "debian.sources"),
        "Types: deb\nURIs: http://m.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n\n" +
          "Types: deb\nURIs: http://s.example/debian-security\nSuites: bookworm-security\nComponents: main\n",
      );
      const security = securityMirror({ aptSourcesDir: dir, aptSourcesList: join(dir, "none") });
      expect(security).toBe("http://s.example/debian-security");
      expect(baseSourcesList("http://m.example/debian", security)).toBe(
        "deb http://m.example/debian bookworm main\n" +
          "deb http://m.example/debian bookworm-updates main\n" +
          "deb http://s.example/debian-security bookworm-security main\n",
      );
      expect(baseKey("http://m.example/debian", security)).not.toBe(
        baseKey("http://m.example/debian", undefined),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("ensureLabImage without an engine", () => {
  it("fails with CONTAINER_ENGINE_UNAVAILABLE and the command that starts one, before touching anything", async () => {
    const calls: string[][] = [];
    const runner: CommandRunner = async (command, args) => {
      calls.push([command, ...args]);
      return result(
        1,
        "",
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
      );
    };
    await expect(ensureLabImage({ runner, env: {} })).rejects.toMatchObject({
      code: "CONTAINER_ENGINE_UNAVAILABLE",
      fix: expect.stringMatching(/^dockerd /),
    });
    expect(calls).toHaveLength(1);
  });
});

describe("emptyAptCaches", () => {
  it("drops apt's lists and the downloaded .debs from the rootfs, keeping the directories", () => {
    const rootfs = mkdtempSync(join(tmpdir(), "bplab-rootfs-"));
    try {
      mkdirSync(join(rootfs, "var/lib/apt/lists/partial"), { recursive: true });
      mkdirSync(join(rootfs, "var/cache/apt/archives/partial"), { recursive: true });
      writeFileSync(join(rootfs, "var/lib/apt/lists/deb.example_bookworm_Packages"), "x");
      writeFileSync(join(rootfs, "var/cache/apt/archives/libc6_2.36_amd64.deb"), "x");
      writeFileSync(join(rootfs, "var/cache/apt/archives/lock"), "");
      emptyAptCaches(rootfs);
      expect(readdirSync(join(rootfs, "var/lib/apt/lists"))).toEqual([]);
      expect(readdirSync(join(rootfs, "var/cache/apt/archives")).sort()).toEqual(["lock", "partial"]);
    } finally {
      rmSync(rootfs, { recursive: true, force: true });
    }
  });
});
