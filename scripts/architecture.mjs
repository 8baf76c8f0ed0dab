#!/usr/bin/env node
// The package graph of the workspace, read from the code instead of drawn by hand, so that
// docs/architecture.md cannot drift from what the packages really import (issue 9, item 9).
//
//   node scripts/architecture.mjs            print the graph, the cycles and the controller check
//   node scripts/architecture.mjs --write    regenerate the block between the graph markers
//   node scripts/architecture.mjs --check    exit 1 when the doc drifted, a cycle exists or a
//                                            package outside CONTROLLER_IMPORTERS imports the core
//
// Edges: a package depends on another when its package.json names it in dependencies or
// peerDependencies (what a user installs with it) or when a file under src/ imports it.
// devDependencies are drawn too (dashed) and count for cycles, because turbo orders `^build` by
// them and a devDependency cycle breaks the build; there are none today.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const ARCHITECTURE_DOC = join(ROOT, "docs/architecture.md");
export const GRAPH_BEGIN = "<!-- graph:begin -->";
export const GRAPH_END = "<!-- graph:end -->";
const SCOPE = "@bplab/";
export const CONTROLLER = "@bplab/controller";

/** Who may import the controller core, and why. Everything else talks to a `Target`. */
export const CONTROLLER_IMPORTERS = new Map([
  ["@bplab/in-process-target", "it is the core behind a Target, in this process (split out of @bplab/host)"],
  ["@bplab/cli", "`bplab demo` and `bplab bp` run the core on a state directory, in process"],
  [
    "@bplab/vfio-user",
    "it hosts the core as a PCI function for QEMU's vfio-user-pci (a transport adapter, like SPDK's nvmf transports)",
  ],
]);

/** A workspace package: its name, folder, declared workspace edges and its src/ modules. */
export function loadWorkspace(root = ROOT) {
  const packagesDir = join(root, "packages");
  const packages = [];
  for (const folder of readdirSync(packagesDir).sort()) {
    const manifestPath = join(packagesDir, folder, "package.json");
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    } catch {
      continue; // not a package folder
    }
    const workspaceNames = (deps) => Object.keys(deps ?? {}).filter((name) => name.startsWith(SCOPE));
    packages.push({
      name: manifest.name,
      folder: join(packagesDir, folder),
      description: manifest.description ?? "",
      runtimeDeps: [...workspaceNames(manifest.dependencies), ...workspaceNames(manifest.peerDependencies)],
      devDeps: workspaceNames(manifest.devDependencies),
      modules: readModules(join(packagesDir, folder, "src")),
    });
  }
  return packages;
}

function listTsFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const files = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listTsFiles(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) files.push(path);
  }
  return files.sort();
}

/**
 * Every module under src/ with the specifiers it imports. TypeScript's own pre-processor finds
 * `import`, `import type`, `export ... from` and `import()`, so type-only edges count: a cycle
 * through `import type` is still a cycle a reader has to untangle.
 */
function readModules(srcDir) {
  const modules = new Map();
  for (const file of listTsFiles(srcDir)) {
    modules.set(file, importSpecifiers(readFileSync(file, "utf8")));
  }
  return modules;
}

/** The specifiers a module imports, type-only and dynamic ones included. */
export function importSpecifiers(sourceText) {
  return ts.preProcessFile(sourceText, true, true).importedFiles.map((ref) => ref.fileName);
}

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Resolves a relative specifier the way the packages write them (`./x.js` is `./x.ts`). */
export function resolveRelative(fromFile, specifier) {
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [
    base.replace(/\.js$/, ".ts"),
    base,
    `${base}.ts`,
    join(base, "index.ts"),
    join(base.replace(/\.js$/, ""), "index.ts"),
  ];
  return candidates.find((path) => path.endsWith(".ts") && isFile(path));
}

/** `@bplab/nvme-spec/testing` belongs to `@bplab/nvme-spec`. */
export function workspacePackageOf(specifier) {
  if (!specifier.startsWith(SCOPE)) return undefined;
  return specifier.split("/").slice(0, 2).join("/");
}

/** Package edges: name -> Map(dependency -> { declared, imported, dev }). */
export function packageEdges(packages) {
  const known = new Set(packages.map((pkg) => pkg.name));
  const edges = new Map();
  for (const pkg of packages) {
    const out = new Map();
    const edge = (dep) => {
      if (!out.has(dep)) out.set(dep, { declared: false, imported: false, dev: false, importers: [] });
      return out.get(dep);
    };
    for (const dep of pkg.runtimeDeps) edge(dep).declared = true;
    for (const dep of pkg.devDeps) edge(dep).dev = true;
    for (const [file, specifiers] of pkg.modules) {
      for (const specifier of specifiers) {
        const dep = workspacePackageOf(specifier);
        if (!dep || dep === pkg.name || !known.has(dep)) continue;
        edge(dep).imported = true;
        edge(dep).importers.push(relative(ROOT, file));
      }
    }
    edges.set(pkg.name, out);
  }
  return edges;
}

/** Module edges inside one package: file -> files it imports relatively. */
export function moduleEdges(pkg) {
  const edges = new Map();
  for (const [file, specifiers] of pkg.modules) {
    const targets = new Set();
    for (const specifier of specifiers) {
      if (!specifier.startsWith(".")) continue;
      const target = resolveRelative(file, specifier);
      if (target && pkg.modules.has(target)) targets.add(target);
    }
    edges.set(file, [...targets]);
  }
  return edges;
}

/**
 * The cycles of a graph (Map node -> iterable of nodes) as strongly connected components with
 * more than one node, or one node that imports itself. Each cycle is a sorted list; the list of
 * cycles is sorted too, so results compare as strings. Tarjan's algorithm, iterative.
 */
export function findCycles(graph) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const cycles = [];
  let next = 0;
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work = [{ node: start, children: [...(graph.get(start) ?? [])], child: 0 }];
    index.set(start, next);
    low.set(start, next++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      if (frame.child < frame.children.length) {
        const child = frame.children[frame.child++];
        if (!index.has(child)) {
          index.set(child, next);
          low.set(child, next++);
          stack.push(child);
          onStack.add(child);
          work.push({ node: child, children: [...(graph.get(child) ?? [])], child: 0 });
        } else if (onStack.has(child)) {
          low.set(frame.node, Math.min(low.get(frame.node), index.get(child)));
        }
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent), low.get(frame.node)));
      }
      if (low.get(frame.node) !== index.get(frame.node)) continue;
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.node);
      const selfLoop = [...(graph.get(frame.node) ?? [])].includes(frame.node);
      if (component.length > 1 || selfLoop) cycles.push(component.sort());
    }
  }
  return cycles.sort((a, b) => a.join().localeCompare(b.join()));
}

/** Package-level cycles, over every edge (runtime, imported or dev). */
export function packageCycles(edges) {
  return findCycles(new Map([...edges].map(([name, out]) => [name, [...out.keys()]])));
}

/** Module-level cycles of every package, as paths relative to the repository root. */
export function moduleCycles(packages) {
  const cycles = [];
  for (const pkg of packages) {
    for (const cycle of findCycles(moduleEdges(pkg))) cycles.push(cycle.map((file) => relative(ROOT, file)));
  }
  return cycles;
}

/** Packages importing or declaring the controller without being on the allow-list. */
export function controllerViolations(edges, allowed = CONTROLLER_IMPORTERS) {
  const violations = [];
  for (const [name, out] of edges) {
    const edge = out.get(CONTROLLER);
    if (!edge || allowed.has(name)) continue;
    violations.push({ importer: name, files: edge.importers, declared: edge.declared || edge.dev });
  }
  return violations;
}

/** Imports of a workspace package that package.json does not declare: they break a clean build. */
export function undeclaredImports(edges) {
  const found = [];
  for (const [name, out] of edges) {
    for (const [dep, edge] of out)
      if (edge.imported && !edge.declared && !edge.dev) found.push({ name, dep });
  }
  return found;
}

/** Layer 0 imports no workspace package; every other package sits one above its highest dependency. */
export function layers(edges) {
  const layer = new Map();
  const visit = (name, seen = new Set()) => {
    if (layer.has(name)) return layer.get(name);
    if (seen.has(name)) return 0; // a cycle; reported separately
    seen.add(name);
    const deps = [...(edges.get(name)?.keys() ?? [])];
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => visit(dep, seen)));
    layer.set(name, value);
    return value;
  };
  for (const name of edges.keys()) visit(name);
  return layer;
}

const short = (name) => name.slice(SCOPE.length);

/** The Markdown between the markers: a Mermaid graph and a layer table, both from `packages`. */
export function renderGraph(packages) {
  const edges = packageEdges(packages);
  const layerOf = layers(edges);
  const byLayer = [...packages].sort(
    (a, b) => layerOf.get(a.name) - layerOf.get(b.name) || a.name.localeCompare(b.name),
  );
  const importedBy = (name) =>
    packages.filter((pkg) => edges.get(pkg.name).has(name)).map((pkg) => `\`${short(pkg.name)}\``);
  const lines = [
    "<!-- Generated by `node scripts/architecture.mjs --write` from every packages/*/package.json",
    "     and every import under packages/*/src; edit those, not this block. -->",
    "",
    "```mermaid",
    "graph BT",
  ];
  for (const pkg of byLayer) {
    for (const [dep, edge] of [...edges.get(pkg.name)].sort(([a], [b]) => a.localeCompare(b))) {
      const arrow = edge.declared || edge.imported ? "-->" : "-.->";
      lines.push(`  ${short(pkg.name)} ${arrow} ${short(dep)}`);
    }
  }
  for (const pkg of byLayer)
    if (edges.get(pkg.name).size === 0 && importedBy(pkg.name).length === 0) {
      lines.push(`  ${short(pkg.name)}`);
    }
  lines.push(
    "```",
    "",
    "| Layer | Package | Imports | Imported by | What it is |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const pkg of byLayer) {
    const deps = [...edges.get(pkg.name).keys()].sort().map((dep) => `\`${short(dep)}\``);
    const users = importedBy(pkg.name);
    lines.push(
      `| ${layerOf.get(pkg.name)} | \`${pkg.name}\` | ${deps.join(", ") || "nothing"} | ${users.join(", ") || "nothing"} | ${pkg.description} |`,
    );
  }
  return lines.join("\n");
}

/** Replaces the block between the markers; throws when the markers are missing. */
export function withGraph(doc, graph) {
  graphBlock(doc);
  const begin = doc.indexOf(GRAPH_BEGIN);
  const end = doc.indexOf(GRAPH_END);
  return `${doc.slice(0, begin + GRAPH_BEGIN.length)}\n${graph}\n${doc.slice(end)}`;
}

/** The block between the markers, as lines; throws when the markers are missing. */
function graphBlock(doc) {
  const begin = doc.indexOf(GRAPH_BEGIN);
  const end = doc.indexOf(GRAPH_END);
  if (begin < 0 || end < begin) throw new Error(`docs/architecture.md lacks ${GRAPH_BEGIN} ... ${GRAPH_END}`);
  return doc
    .slice(begin + GRAPH_BEGIN.length, end)
    .split("\n")
    .slice(1);
}

/**
 * How the doc's graph block differs from `graph`: lines the code gives that the doc lacks
 * ("missing"), and lines the doc has that the code does not give ("stale"). Empty when they agree.
 */
export function graphDrift(doc, graph) {
  const actual = graphBlock(doc);
  const expected = `${graph}\n`.split("\n");
  const drift = [];
  const remaining = [...actual];
  for (const line of expected) {
    const at = remaining.indexOf(line);
    if (at >= 0) remaining.splice(at, 1);
    else drift.push(`missing: ${line}`);
  }
  for (const line of remaining) drift.push(`stale: ${line}`);
  if (drift.length === 0 && actual.join("\n") !== expected.join("\n")) drift.push("order differs");
  return drift;
}

function main(argv) {
  const packages = loadWorkspace();
  const edges = packageEdges(packages);
  const graph = renderGraph(packages);
  const doc = readFileSync(ARCHITECTURE_DOC, "utf8");
  if (argv.includes("--write")) {
    writeFileSync(ARCHITECTURE_DOC, withGraph(doc, graph));
    console.log("docs/architecture.md: graph regenerated");
    return 0;
  }
  let failed = false;
  const report = (title, items) => {
    if (items.length === 0) return;
    failed = true;
    console.log(`${title}:`);
    for (const item of items) console.log(`  ${item}`);
  };
  report(
    "package cycles",
    packageCycles(edges).map((cycle) => cycle.join(" <-> ")),
  );
  report(
    `packages importing ${CONTROLLER} outside the allow-list`,
    controllerViolations(edges).map((v) => `${v.importer}: ${v.files.join(", ") || "package.json"}`),
  );
  report(
    "imports not declared in package.json",
    undeclaredImports(edges).map(({ name, dep }) => `${name} imports ${dep}`),
  );
  const modules = moduleCycles(packages);
  // Module cycles are printed, not failed here: the test keeps the known ones on a list.
  if (modules.length > 0) {
    console.log("module cycles (scripts/test/architecture.test.mjs lists the known ones):");
    for (const cycle of modules) console.log(`  ${cycle.join(" <-> ")}`);
  }
  if (argv.includes("--check"))
    report("docs/architecture.md graph drift (run --write)", graphDrift(doc, graph));
  else console.log(graph);
  return failed ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
