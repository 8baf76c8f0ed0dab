// The package graph in docs/architecture.md, import cycles and who may import the controller core
// (issue 9, item 9). Each check also runs once on a fixture that must fail, so a check that
// silently stopped finding anything would be caught here.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  ARCHITECTURE_DOC,
  CONTROLLER,
  CONTROLLER_IMPORTERS,
  controllerViolations,
  findCycles,
  graphDrift,
  importSpecifiers,
  loadWorkspace,
  moduleCycles,
  packageCycles,
  packageEdges,
  renderGraph,
  undeclaredImports,
} from "../architecture.mjs";

/**
 * Module cycles that exist today. A cycle found in the code must lie inside one of these (a known
 * cycle may shrink or disappear; a new one, or a known one that grows, fails the test).
 */
const KNOWN_MODULE_CYCLES = [];

/** Cycles in `found` that do not fit inside any cycle of `known`. */
function unknownCycles(found, known) {
  return found.filter((cycle) => !known.some((allowed) => cycle.every((file) => allowed.includes(file))));
}

/** A minimal package record, the shape loadWorkspace returns, for fixtures. */
function fixturePackage(name, runtimeDeps, imports = {}) {
  const modules = new Map(
    Object.entries(imports).map(([file, specifiers]) => [`/fixture/${file}`, specifiers]),
  );
  return { name, folder: "/fixture", description: `${name} fixture`, runtimeDeps, devDeps: [], modules };
}

const packages = loadWorkspace();
const edges = packageEdges(packages);

describe("docs/architecture.md package graph", () => {
  it("equals the graph generated from package.json files and imports", () => {
    const drift = graphDrift(readFileSync(ARCHITECTURE_DOC, "utf8"), renderGraph(packages));
    expect(drift, "run `node scripts/architecture.mjs --write`").toEqual([]);
  });

  it("reports drift when the doc's graph is edited by hand", () => {
    const doc = readFileSync(ARCHITECTURE_DOC, "utf8");
    const edited = doc.replace("  qtest --> qemu-patches\n", "  qemu-patches --> qtest\n");
    expect(edited).not.toBe(doc);
    expect(graphDrift(edited, renderGraph(packages))).toEqual([
      "missing:   qtest --> qemu-patches",
      "stale:   qemu-patches --> qtest",
    ]);
  });

  it("reports a doc without the graph markers", () => {
    expect(() => graphDrift("# Architecture\n", renderGraph(packages))).toThrow(/graph:begin/);
  });

  it("reports drift when a package gains a dependency the doc does not show", () => {
    const doc = readFileSync(ARCHITECTURE_DOC, "utf8");
    const grown = packages.map((pkg) =>
      pkg.name === "@bplab/qemu-patches" ? { ...pkg, runtimeDeps: ["@bplab/nvme-spec"] } : pkg,
    );
    expect(graphDrift(doc, renderGraph(grown)).length).toBeGreaterThan(0);
  });

  it("draws qemu-patches low: it imports no NVMe package, and qtest and lab import it", () => {
    // shared Node.js process helpers and the version pins (pins.json): no NVMe code in either
    const low = new Set(["@bplab/node-kit", "@bplab/pins"]);
    expect([...edges.get("@bplab/qemu-patches").keys()].filter((dep) => !low.has(dep))).toEqual([]);
    expect(edges.get("@bplab/qtest").has("@bplab/qemu-patches")).toBe(true);
    expect(edges.get("@bplab/lab").has("@bplab/qemu-patches")).toBe(true);
  });
});

describe("package-level import cycles", () => {
  it("there are none", () => {
    expect(packageCycles(edges)).toEqual([]);
  });

  it("every imported workspace package is declared in package.json", () => {
    expect(undeclaredImports(edges)).toEqual([]);
  });

  it("a fixture workspace with a cycle through an import is reported", () => {
    const fixture = [
      fixturePackage("@bplab/a", ["@bplab/b"]),
      fixturePackage("@bplab/b", [], { "b.ts": importSpecifiers('import type { A } from "@bplab/a";') }),
      fixturePackage("@bplab/c", ["@bplab/a"]),
    ];
    expect(packageCycles(packageEdges(fixture))).toEqual([["@bplab/a", "@bplab/b"]]);
  });
});

describe(`who imports ${CONTROLLER}`, () => {
  it("only the allow-listed packages, each with a reason", () => {
    expect(controllerViolations(edges)).toEqual([]);
    for (const reason of CONTROLLER_IMPORTERS.values()) expect(reason.length).toBeGreaterThan(10);
  });

  it("the allow-list is not wider than the code needs", () => {
    const importers = [...edges].filter(([, out]) => out.has(CONTROLLER)).map(([name]) => name);
    expect(importers.sort()).toEqual([...CONTROLLER_IMPORTERS.keys()].sort());
  });

  it("a package outside the list that imports the controller is reported", () => {
    const fixture = [
      fixturePackage(CONTROLLER, []),
      fixturePackage("@bplab/qtest", [], { "target.ts": ["@bplab/controller"] }),
    ];
    const [violation, ...more] = controllerViolations(packageEdges(fixture));
    expect(more).toEqual([]);
    expect(violation.importer).toBe("@bplab/qtest");
    expect(violation.files[0]).toMatch(/fixture\/target\.ts$/);
  });
});

describe("module-level import cycles", () => {
  it("are all known ones (a new cycle fails here)", () => {
    const found = moduleCycles(packages);
    expect(unknownCycles(found, KNOWN_MODULE_CYCLES)).toEqual([]);
  });

  it("type-only, re-export and dynamic imports all count as edges", () => {
    const source = [
      'import type { A } from "./a.js";',
      'export { B } from "./b.js";',
      'export type * from "./c.js";',
      'const d = await import("./d.js");',
      '// a comment naming "./e.js" is not an import',
    ].join("\n");
    expect(importSpecifiers(source)).toEqual(["./a.js", "./b.js", "./c.js", "./d.js"]);
  });

  it("the cycle finder returns a cycle of a fixture graph, and only that one", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a", "d"]],
      ["d", []],
      ["e", ["e"]],
    ]);
    expect(findCycles(graph)).toEqual([["a", "b", "c"], ["e"]]);
    expect(
      findCycles(
        new Map([
          ["a", ["b"]],
          ["b", []],
        ]),
      ),
    ).toEqual([]);
  });

  it("a cycle outside the known list, or a known one that grew, is reported", () => {
    // A fixture list, so the check stays tested once the real list is empty.
    const known = [["packages/qtest/src/libqos/a.ts", "packages/qtest/src/libqos/b.ts"]];
    const added = ["packages/host/src/driver/a.ts", "packages/host/src/driver/b.ts"];
    const grown = [...known[0], "packages/qtest/src/libqos/memory.ts"];
    expect(unknownCycles([added, grown, known[0]], known)).toEqual([added, grown]);
  });
});
