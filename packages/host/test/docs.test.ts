import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ALL_SCENARIOS } from "../src/scenarios/suite.js";

const SCENARIOS_DOC = fileURLToPath(new URL("../../../docs/scenarios.md", import.meta.url));

/** Expands shell-style braces: `a.{b,c}-d` → `a.b-d`, `a.c-d`. */
function expandBraces(pattern: string): string[] {
  const match = /\{([^{}]*)\}/.exec(pattern);
  if (!match) return [pattern];
  const [whole, alternatives] = match;
  return alternatives!
    .split(",")
    .flatMap((alt) =>
      expandBraces(pattern.slice(0, match.index) + alt + pattern.slice(match.index + whole.length)),
    );
}

describe("docs/scenarios.md", () => {
  const doc = readFileSync(SCENARIOS_DOC, "utf8");
  const mentioned = new Set(
    [...doc.matchAll(/`([a-z0-9-]+\.[a-z0-9{},-]+)`/g)].flatMap((m) => expandBraces(m[1]!)),
  );
  const groups = new Set(ALL_SCENARIOS.map((s) => s.id.split(".")[0]!));

  it("names no scenario that does not exist", () => {
    const ids = new Set(ALL_SCENARIOS.map((s) => s.id));
    const stale = [...mentioned].filter((id) => groups.has(id.split(".")[0]!) && !ids.has(id));
    expect(stale).toEqual([]);
  });

  it("lists every scenario of the suite by id (so the table cannot silently fall behind)", () => {
    const wildcardGroups = [...doc.matchAll(/`([a-z0-9-]+)\.\*`/g)].map((m) => m[1]!);
    const missing = ALL_SCENARIOS.map((s) => s.id).filter(
      (id) => !mentioned.has(id) && !wildcardGroups.some((group) => id.startsWith(`${group}.`)),
    );
    expect(missing).toEqual([]);
  });
});
