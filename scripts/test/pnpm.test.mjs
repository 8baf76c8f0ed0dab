// On a fresh machine there is no global pnpm: the test suite's turbo steps must still run.
// These tests rebuild that machine's PATH (every system tool, no pnpm/pnpx), as
// ../shared/tools/fresh-clone-ci and CI's fresh clones have it.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pinnedPnpmVersion, pnpmExec, resolvePnpm } from "../pnpm.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const SYSTEM_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];
let scratch;
let envWithoutPnpm;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "bplab-no-pnpm-"));
  const bin = join(scratch, "bin");
  mkdirSync(bin);
  const linked = new Set();
  for (const dir of SYSTEM_DIRS) {
    let names = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (name === "pnpm" || name === "pnpx" || linked.has(name)) continue;
      linked.add(name);
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  envWithoutPnpm = { ...process.env, PATH: bin };
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("pnpm resolution (scripts/pnpm.mjs)", () => {
  it("reads the pinned version from package.json's packageManager", () => {
    expect(pinnedPnpmVersion(root)).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("falls back to the pinned pnpm through npx when PATH has no pnpm", () => {
    expect(resolvePnpm(root, envWithoutPnpm)).toEqual({
      command: "npx",
      prefix: ["--yes", `pnpm@${pinnedPnpmVersion(root)}`],
    });
  });

  it("runs a turbo task without a global pnpm, the way run-tests.mjs starts turbo", () => {
    // Before scripts/pnpm.mjs, run-tests.mjs started node_modules/.bin/turbo directly, and turbo
    // stopped with "Unable to find package manager binary" on such a PATH.
    const [command, args] = pnpmExec(resolvePnpm(root, envWithoutPnpm), "turbo", [
      "run",
      "lint",
      "--filter=@bplab/nvme-spec",
      "--output-logs=errors-only",
    ]);
    const result = spawnSync(command, args, { cwd: root, env: envWithoutPnpm, encoding: "utf8" });
    expect(`${result.stdout}${result.stderr}`).not.toMatch(/Unable to find package manager binary/);
    expect(result.status).toBe(0);
  });
});
