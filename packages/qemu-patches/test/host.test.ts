import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { detectHost, findOnPath, versionAtLeast } from "../src/host.js";
import { REQUIRED_TOOLS } from "../src/pins.js";
import { scriptedRunner, tempDir } from "./helpers.js";

function fakeTools(names: readonly string[]): string {
  const dir = tempDir();
  for (const name of names) {
    writeFileSync(join(dir, name), "#!/bin/sh\n");
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

describe("versionAtLeast", () => {
  it("compares major and minor", () => {
    expect(versionAtLeast("1.7.0\n", [1, 5])).toBe(true);
    expect(versionAtLeast("1.5", [1, 5])).toBe(true);
    expect(versionAtLeast("1.0.1", [1, 5])).toBe(false);
    expect(versionAtLeast("2.0", [1, 5])).toBe(true);
    expect(versionAtLeast("unknown", [1, 5])).toBe(false);
  });
});

describe("detectHost", () => {
  it("finds tools on PATH and names the missing ones", async () => {
    const dir = fakeTools(["ninja", "git"]);
    expect(findOnPath("ninja", { PATH: dir })).toBe(join(dir, "ninja"));
    const host = await detectHost(scriptedRunner(), { PATH: dir });
    expect(host.missingTools).toEqual(REQUIRED_TOOLS.filter((tool) => tool !== "ninja" && tool !== "git"));
  });

  it("counts a meson older than 1.5 as missing", async () => {
    const dir = fakeTools(REQUIRED_TOOLS);
    const runner = scriptedRunner([[(command) => command === "meson", { stdout: "1.0.1\n" }]]);
    expect((await detectHost(runner, { PATH: dir })).missingTools).toEqual(["meson>=1.5"]);
    const current = scriptedRunner([[(command) => command === "meson", { stdout: "1.7.0\n" }]]);
    expect((await detectHost(current, { PATH: dir })).missingTools).toEqual([]);
  });
});
