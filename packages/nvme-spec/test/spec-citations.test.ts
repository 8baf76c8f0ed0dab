import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// Comments cite the lab's own spec summary, docs/spec/boot-partitions.md, by section. A user of
// the repository has that file; they do not have the research notes it was written from, nor the
// build machine's paths. This test keeps the citations of nvme-spec and cli pointing at sections
// that exist.
const root = join(dirname(fileURLToPath(import.meta.url)), "../../..");
const SPEC_DOC = "docs/spec/boot-partitions.md";
const CITING_PACKAGES = ["packages/nvme-spec", "packages/cli"];
const UNREACHABLE_CITATION = /spec file|shared\/spec|shared\/research|\/work\/|\[S2[12]-/;

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name === "bench-results") continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|md)$/.test(entry.name)) files.push(path);
  }
  return files;
}

/** "1", "1.2", "4.2" ... for every numbered heading of the summary. */
function specSections(markdown: string): Set<string> {
  const sections = new Set<string>();
  for (const match of markdown.matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.? /gm)) sections.add(match[1]!);
  return sections;
}

/** Section numbers cited as `docs/spec/boot-partitions.md §n` (also "§4, §7" and "§1.2–1.5"). */
function citedSections(text: string): string[] {
  const cited: string[] = [];
  for (const match of text.matchAll(
    /docs\/spec\/boot-partitions\.md[\s*]*\(?((?:[\s,*]*§\d+(?:\.\d+)*(?:[-–]\d+(?:\.\d+)*)?)+)/g,
  )) {
    for (const section of match[1]!.matchAll(/§(\d+(?:\.\d+)*)/g)) cited.push(section[1]!);
  }
  return cited;
}

const files = CITING_PACKAGES.flatMap((pkg) => sourceFiles(join(root, pkg)));
// This file names the forbidden patterns itself.
const scanned = files.filter((file) => !file.endsWith("spec-citations.test.ts"));

describe(`citations of ${SPEC_DOC}`, () => {
  it("no comment or doc cites a file users do not have or a build machine path", () => {
    const offending = scanned.flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, index) => ({ line, where: `${relative(root, file)}:${index + 1}` }))
        .filter(({ line }) => UNREACHABLE_CITATION.test(line))
        .map(({ where, line }) => `${where}: ${line.trim()}`),
    );
    expect(offending).toEqual([]);
  });

  it("every cited § exists as a heading of the summary", () => {
    const sections = specSections(readFileSync(join(root, SPEC_DOC), "utf8"));
    const missing = scanned.flatMap((file) =>
      citedSections(readFileSync(file, "utf8"))
        .filter((section) => !sections.has(section))
        .map((section) => `${relative(root, file)} cites §${section}`),
    );
    expect(missing).toEqual([]);
  });

  it("finds the citations in the forms comments use, and finds a missing section", () => {
    expect(citedSections("(Base 2.1 §5.1.25.1.32;\n * docs/spec/boot-partitions.md §4, §7)")).toEqual([
      "4",
      "7",
    ]);
    expect(citedSections("docs/spec/boot-partitions.md\n * §8.2 item 3")).toEqual(["8.2"]);
    const sections = specSections("## 1. Registers\n### 1.2 BPINFO\n### 1.3. BPRSEL\n");
    expect(sections.has("1")).toBe(true);
    expect(sections.has("1.2")).toBe(true);
    expect(sections.has("1.3")).toBe(true);
    expect(sections.has("9")).toBe(false);
  });
});
