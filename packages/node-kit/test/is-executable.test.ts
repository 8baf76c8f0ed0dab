import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isExecutable } from "../src/index.js";

const dir = mkdtempSync(join(tmpdir(), "node-kit-exec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, mode: number): string {
  const path = join(dir, name);
  writeFileSync(path, "#!/bin/sh\nexit 0\n");
  chmodSync(path, mode);
  return path;
}

describe("isExecutable", () => {
  it("is true for a file with an execute bit", () => {
    expect(isExecutable(file("tool", 0o755))).toBe(true);
  });

  it("is false for a missing path", () => {
    expect(isExecutable(join(dir, "no-such-tool"))).toBe(false);
  });

  it("is false for a file without an execute bit, unless this process is root", () => {
    // root passes X_OK when any execute bit is set, and fails it when none is: 0o644 has none
    expect(isExecutable(file("data", 0o644))).toBe(false);
  });

  it("is false below a path component that is a plain file", () => {
    const plain = file("plain", 0o644);
    expect(isExecutable(join(plain, "tool"))).toBe(false);
  });

  it("is true for a searchable directory, as X_OK is for the kernel", () => {
    const sub = join(dir, "sub");
    mkdirSync(sub);
    expect(isExecutable(sub)).toBe(true);
  });
});
