import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * Issue 9 item 5: the core is ports and logic; file-backed storage is the `@bplab/controller/storage`
 * subpath. Walks the static imports (type-only ones included) from each entry's source and lists
 * the Node built-ins it reaches.
 */

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../src");
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"|import\("([^"]+)"\)/g;

function builtinsReachedFrom(entry: string): string[] {
  const seen = new Set<string>();
  const builtins = new Set<string>();
  const pending = [join(SRC, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const match of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2]!;
      if (specifier.startsWith("node:")) builtins.add(`${specifier} (${file.slice(SRC.length + 1)})`);
      else if (specifier.startsWith("."))
        pending.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
    }
  }
  return [...builtins].sort();
}

describe("entry points", () => {
  it("the main entry reaches no Node built-in (no node:fs, no node:path)", () => {
    expect(builtinsReachedFrom("index.ts")).toEqual([]);
  });

  it("the storage subpath is where the file system is used", () => {
    expect(builtinsReachedFrom("storage/index.ts").some((name) => name.startsWith("node:fs "))).toBe(true);
  });

  it("package.json exports the storage subpath next to the main entry", () => {
    const manifest = JSON.parse(readFileSync(join(SRC, "../package.json"), "utf8"));
    expect(Object.keys(manifest.exports)).toEqual([".", "./storage"]);
    expect(manifest.exports["./storage"].import).toBe("./dist/storage/index.js");
  });
});
