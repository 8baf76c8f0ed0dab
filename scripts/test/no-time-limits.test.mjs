// The project's rule: a test never fails for being slow (a loaded 2-core CI machine is slow, never
// wrong). vitest's default is a 5 s limit per test and per hook, so every project's config must
// turn both off, and no test may pass its own limit.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const packages = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

describe("no time limits in tests", () => {
  it.each(packages)("packages/%s/vitest.config.ts turns the test and hook limits off", (name) => {
    const config = readFileSync(join(root, "packages", name, "vitest.config.ts"), "utf8");
    expect(config).toMatch(/testTimeout: 0,/);
    expect(config).toMatch(/hookTimeout: 0,/);
    expect(config).not.toMatch(/(test|hook)Timeout: [1-9]/);
  });

  const testFiles = packages.flatMap((name) => filesUnder(join(root, "packages", name, "test")));
  it("no test or describe passes a limit of its own", () => {
    const offenders = testFiles.filter((file) => /\btimeout: [1-9]/.test(readFileSync(file, "utf8")));
    expect(offenders.map((file) => file.slice(root.length + 1))).toEqual([]);
  });
});

function filesUnder(dir) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return filesUnder(path);
    return /\.test\.(ts|mjs)$/.test(name) ? [path] : [];
  });
}
