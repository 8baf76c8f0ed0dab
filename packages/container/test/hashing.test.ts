import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { pruneDeploy } from "../src/context.js";
import { type ContextEntry, contentHash, listContext } from "../src/hashing.js";

const file = (path: string, digest: string, executable = false): ContextEntry => ({
  path,
  kind: "file",
  digest,
  executable,
});

describe("contentHash", () => {
  const entries = [file("Dockerfile", "aa"), file("qemu/recipe.json", "bb"), file("node/node", "cc", true)];

  it("does not depend on the order the entries are listed in", () => {
    expect(contentHash([...entries].reverse())).toBe(contentHash(entries));
    expect(contentHash(entries)).toMatch(/^[0-9a-f]{16}$/);
  });

  it("changes with a file's bytes, its path, its executable bit, and with an added file", () => {
    const base = contentHash(entries);
    expect(contentHash([file("Dockerfile", "ab"), ...entries.slice(1)])).not.toBe(base);
    expect(contentHash([file("Dockerfile2", "aa"), ...entries.slice(1)])).not.toBe(base);
    expect(contentHash([...entries.slice(0, 2), file("node/node", "cc", false)])).not.toBe(base);
    expect(contentHash([...entries, file("app/dist/bin.js", "dd")])).not.toBe(base);
  });

  it("tells a symlink from a file with the same digest", () => {
    const link: ContextEntry = { path: "x", kind: "symlink", digest: "aa", executable: false };
    expect(contentHash([link])).not.toBe(contentHash([file("x", "aa")]));
  });
});

describe("listContext and pruneDeploy on a directory", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function makeTree(root: string, dockerfile: string): void {
    mkdirSync(join(root, "app/node_modules/.bin"), { recursive: true });
    writeFileSync(join(root, "Dockerfile"), dockerfile);
    writeFileSync(join(root, "app/node_modules/.bin/bplab-qemu"), `NODE_PATH=${root}/app\n`);
    writeFileSync(join(root, "app/node_modules/.modules.yaml"), `prunedAt: ${Date.now()}\n`);
    writeFileSync(join(root, "app/bin.js"), "#!/usr/bin/env node\n");
    chmodSync(join(root, "app/bin.js"), 0o755);
    symlinkSync("bin.js", join(root, "app/link"));
  }

  it("hashes bytes, not where the tree lives or when it was written, once pnpm's machine files are pruned", async () => {
    dir = mkdtempSync(join(tmpdir(), "bplab-context-"));
    makeTree(join(dir, "one"), "FROM debian:bookworm\n");
    makeTree(join(dir, "two"), "FROM debian:bookworm\n");
    for (const tree of ["one", "two"]) pruneDeploy(join(dir, tree, "app"));
    const one = await listContext(join(dir, "one"));
    expect(one.map((e) => e.path).sort()).toEqual(["Dockerfile", "app/bin.js", "app/link"]);
    expect(one.find((e) => e.path === "app/bin.js")?.executable).toBe(true);
    expect(one.find((e) => e.path === "app/link")).toMatchObject({ kind: "symlink", digest: "bin.js" });
    expect(contentHash(one)).toBe(contentHash(await listContext(join(dir, "two"))));

    writeFileSync(join(dir, "two", "Dockerfile"), "FROM debian:trixie\n");
    expect(contentHash(await listContext(join(dir, "two")))).not.toBe(contentHash(one));
  });
});
