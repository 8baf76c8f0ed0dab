import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandRunner, RunResult } from "@bplab/node-kit";
import { afterEach, describe, expect, it } from "vitest";
import { baseKey, debianMirror, ensureBaseImage, mirrorFromSourcesList } from "../src/base.js";
import { ContainerError } from "../src/errors.js";
import { ensureLabImage } from "../src/image.js";

const result = (exitCode: number, stdout = "", stderr = ""): RunResult => ({
  exitCode,
  stdout,
  stderr,
  tail: stderr,
});

/** A fake `docker` that knows some images and records every call. */
function fakeDocker(images: Record<string, number>, calls: string[][]): CommandRunner {
  return async (command, args) => {
    calls.push([command, ...args]);
    if (args[0] === "version") return result(0, "20.10.24\n");
    if (args[0] === "image" && args[1] === "inspect") {
      const size = images[args.at(-1) ?? ""];
      return size === undefined ? result(1, "", "Error: No such image") : result(0, `${size}\n`);
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
  it("does nothing when the engine already has debian:bookworm (pulled by a user who can)", async () => {
    const calls: string[][] = [];
    const base = await ensureBaseImage({ runner: fakeDocker({ "debian:bookworm": 1 }, calls), env: {} });
    expect(base).toEqual({ reference: "debian:bookworm", built: false });
    expect(calls.map((c) => c[1])).toEqual(["image"]);
  });

  it("refuses to debootstrap when not root, and says how to get the base instead", async () => {
    const calls: string[][] = [];
    const dir = mkdtempSync(join(tmpdir(), "bplab-base-"));
    try {
      writeFileSync(join(dir, "sources.list"), "deb http://m.example/debian bookworm main\n");
      const attempt = ensureBaseImage({
        runner: fakeDocker({}, calls),
        env: {},
        isRoot: false,
        cacheDir: dir,
        aptSourcesDir: join(dir, "none"),
        aptSourcesList: join(dir, "sources.list"),
      });
      await expect(attempt).rejects.toBeInstanceOf(ContainerError);
      await expect(attempt).rejects.toMatchObject({
        code: "CONTAINER_BASE_FAILED",
        fix: expect.stringMatching(/docker pull debian:bookworm/),
      });
      expect(calls.some((c) => c[0]?.endsWith("debootstrap"))).toBe(false);
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
