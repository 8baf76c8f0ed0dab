// Downstream consumption (issue 12 item 6): every publishable package packs with `pnpm pack`
// (exports, types, files, README, LICENSE; dist only), installs from its tarball into a scratch
// project (its @bplab dependencies from the same packed set, everything else from the registry)
// and runs its usage example from packages/<pkg>/examples/. `pnpm changeset version` is tried in a
// temporary copy of the manifests: the release it makes must be coherent.
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolvePnpm } from "../pnpm.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const pnpm = resolvePnpm(root);
// npm's cache for the scratch installs lives with the lab's other caches, not in ~/.npm.
const NPM_CACHE = join(homedir(), ".cache/bplab/npm-cache");
// Examples another engineer owns and may not have written yet: skipped, saying so, until they exist.
const EXAMPLES_PENDING = new Set([]);
// A path in a tarball that must never ship: tests, benchmarks, TypeScript sources, build configs.
const NOT_SHIPPED = /^(test|tests|bench|src|examples|scripts)\/|^(vitest\.config|tsconfig)[^/]*$/;

function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

const packages = readdirSync(join(root, "packages"))
  .filter((dir) => existsSync(join(root, "packages", dir, "package.json")))
  .sort()
  .map((dir) => ({
    dir: join(root, "packages", dir),
    manifest: readJson(join(root, "packages", dir, "package.json")),
  }));
const publishable = packages.filter((pkg) => pkg.manifest.private !== true);
const versionOf = new Map(packages.map((pkg) => [pkg.manifest.name, pkg.manifest.version]));

/** Runs a command; resolves with its exit code and output (never rejects on a non-zero exit). */
function run(command, args, options) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

/** `pnpm pack` of every package dir, a few at a time (each pnpm start costs seconds). */
async function packAll(dirs, destination) {
  const results = new Map();
  const queue = [...dirs];
  const worker = async () => {
    for (let dir = queue.shift(); dir !== undefined; dir = queue.shift()) {
      const packed = await run(
        pnpm.command,
        [...pnpm.prefix, "pack", "--json", "--pack-destination", destination],
        { cwd: dir, env: process.env },
      );
      if (packed.status !== 0)
        throw new Error(`pnpm pack in ${dir} failed:\n${packed.stderr}${packed.stdout}`);
      // pnpm may print notices before its JSON: the JSON is the last top-level object.
      results.set(dir, JSON.parse(packed.stdout.slice(packed.stdout.indexOf("{\n"))));
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return results;
}

/** The files a tarball holds (paths without the `package/` prefix) and its package.json. */
function tarballContents(tarball) {
  const list = spawnSync("tar", ["-tzf", tarball], { encoding: "utf8" });
  const manifest = spawnSync("tar", ["-xOzf", tarball, "package/package.json"], { encoding: "utf8" });
  expect(list.status).toBe(0);
  return {
    files: list.stdout
      .split("\n")
      .filter(Boolean)
      .map((path) => path.replace(/^package\//, "")),
    manifest: JSON.parse(manifest.stdout),
  };
}

/** Every file a manifest's exports and bin point at (conditions and subpaths flattened). */
function exportedFiles(manifest) {
  const targets = [];
  const walk = (value) => {
    if (typeof value === "string") targets.push(value);
    else if (value && typeof value === "object") for (const inner of Object.values(value)) walk(inner);
  };
  walk(manifest.exports);
  walk(manifest.bin);
  return targets.map((target) => target.replace(/^\.\//, ""));
}

/** The example files of a package and the extra @bplab packages each names on a `scratch-deps:` line. */
function examplesOf(pkg) {
  const dir = join(pkg.dir, "examples");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => /\.(mjs|js)$/.test(file))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), "utf8");
      const extra = /^\/\/ scratch-deps: (.+)$/m.exec(text)?.[1]?.split(/\s+/) ?? [];
      return { file, path: join(dir, file), extra };
    });
}

let scratch;
let tarballOf;
let packed;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "bplab-pack-"));
  const destination = join(scratch, "tarballs");
  mkdirSync(destination);
  packed = await packAll(
    publishable.map((pkg) => pkg.dir),
    destination,
  );
  tarballOf = new Map(publishable.map((pkg) => [pkg.manifest.name, packed.get(pkg.dir).filename]));
  // 0: no time limit (the scripts project sets testTimeout 0 but leaves hooks at vitest's 10 s).
}, 0);

// 0: no time limit; removing thirteen scratch installs takes more than vitest's 10 s under load.
afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}, 0);

describe.each(publishable.map((pkg) => [pkg.manifest.name, pkg]))("%s from its tarball", (name, pkg) => {
  it("ships dist, types, README and LICENSE, and no tests, benchmarks or sources", () => {
    const { files, manifest } = tarballContents(tarballOf.get(name));
    for (const required of ["package.json", "README.md", "LICENSE", ...exportedFiles(manifest)]) {
      expect(files, `${name} tarball lacks ${required}`).toContain(required);
    }
    expect(
      Object.values(manifest.exports ?? {}).every((entry) => typeof entry === "string" || entry.types),
    ).toBe(true);
    expect(files.filter((file) => NOT_SHIPPED.test(file) || /\.test\.[cm]?[jt]s$/.test(file))).toEqual([]);
    expect(manifest.license).toMatch(/^MIT( AND GPL-2\.0-or-later)?$/);
  });

  it("names its @bplab dependencies by version, never workspace:", () => {
    const { manifest } = tarballContents(tarballOf.get(name));
    for (const field of ["dependencies", "optionalDependencies", "peerDependencies"]) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        expect(range, `${field}.${dep}`).not.toMatch(/^workspace:/);
        if (!dep.startsWith("@bplab/")) continue;
        // A private package is never on a registry: depending on it makes this one uninstallable.
        expect(tarballOf.has(dep), `${field}.${dep} is not a publishable package`).toBe(true);
        expect(range, `${field}.${dep}`).toBe(versionOf.get(dep));
      }
    }
  });

  const examples = examplesOf(pkg);
  const pendingReason = `${pkg.dir}/examples has no example yet (its owner adds it)`;
  if (examples.length === 0 && EXAMPLES_PENDING.has(name))
    console.warn(`skipping ${name}'s example: ${pendingReason}`);
  it.skipIf(examples.length === 0 && EXAMPLES_PENDING.has(name))(
    "installs into a scratch project and its usage example runs",
    async () => {
      expect(examples.length, `${name} has no usage example in examples/`).toBeGreaterThan(0);
      const project = join(scratch, `project-${name.replace("@bplab/", "")}`);
      mkdirSync(project);
      // Every @bplab package resolves to its tarball (overrides), so nothing @bplab comes from a registry.
      const overrides = Object.fromEntries([...tarballOf].map(([dep, tarball]) => [dep, `file:${tarball}`]));
      const wanted = [name, ...examples.flatMap((example) => example.extra)];
      // Refuse before npm could look a private @bplab package up on the public registry.
      const unpacked = Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.optionalDependencies })
        .concat(wanted)
        .filter((dep) => dep.startsWith("@bplab/") && !tarballOf.has(dep));
      expect(unpacked, `${name} needs @bplab packages that are not packed`).toEqual([]);
      const dependencies = Object.fromEntries(wanted.map((dep) => [dep, overrides[dep]]));
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "scratch", private: true, type: "module", dependencies, overrides }, null, 2),
      );
      const install = await run(
        "npm",
        ["install", "--no-audit", "--no-fund", "--prefer-offline", "--cache", NPM_CACHE],
        { cwd: project, env: process.env },
      );
      expect(install.status, `npm install of ${name}:\n${install.stderr}`).toBe(0);
      for (const example of examples) {
        const copy = join(project, example.file);
        writeFileSync(copy, readFileSync(example.path));
        const ran = await run(process.execPath, [copy], { cwd: project, env: process.env });
        console.log(`${name} examples/${example.file}:\n${ran.stdout}${ran.stderr}`);
        expect(ran.status, `${example.file} exited ${ran.status}:\n${ran.stderr}`).toBe(0);
        const last = ran.stdout.trim().split("\n").at(-1) ?? "";
        expect(last).toMatch(new RegExp(`^(ok|skipped) ${name.replace("/", "\\/")}\\b`));
        if (last.startsWith("skipped")) console.warn(last);
      }
    },
  );
});

describe.each(packages.filter((pkg) => pkg.manifest.private === true).map((pkg) => [pkg.manifest.name, pkg]))(
  "%s (private)",
  (name, pkg) => {
    it("says why it is not published, in package.json and in its README", () => {
      expect(pkg.manifest.privateReason, `${name}: package.json has private but no privateReason`).toMatch(
        /\S{10,}/,
      );
      const readme = join(pkg.dir, "README.md");
      expect(existsSync(readme) && /not published/i.test(readFileSync(readme, "utf8")), `${readme}`).toBe(
        true,
      );
    });
  },
);

const BUMP_ORDER = ["patch", "minor", "major"];

/** The highest bump each package gets from the changesets in `dir`. */
function bumpsFrom(dir) {
  const bumps = new Map();
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".md") && f !== "README.md")) {
    const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(dir, file), "utf8"))?.[1] ?? "";
    for (const [, name, bump] of front.matchAll(/^["']?(@bplab\/[\w-]+)["']?:\s*(patch|minor|major)\s*$/gm)) {
      if (BUMP_ORDER.indexOf(bump) > BUMP_ORDER.indexOf(bumps.get(name) ?? "")) bumps.set(name, bump);
    }
  }
  return bumps;
}

function bumped(version, bump) {
  const [major, minor, patch] = version.split(".").map(Number);
  if (bump === "major") return `${major + 1}.0.0`;
  if (bump === "minor") return `${major}.${minor + 1}.0`;
  return `${major}.${minor}.${patch + 1}`;
}

describe("pnpm changeset version (in a temporary copy of the manifests)", () => {
  it("bumps every package by its changesets, patches its dependents, and packs with the new versions", async () => {
    const copy = join(scratch, "release");
    mkdirSync(join(copy, "packages"), { recursive: true });
    for (const file of ["package.json", "pnpm-workspace.yaml"])
      writeFileSync(join(copy, file), readFileSync(join(root, file)));
    mkdirSync(join(copy, ".changeset"));
    for (const file of readdirSync(join(root, ".changeset")))
      writeFileSync(join(copy, ".changeset", file), readFileSync(join(root, ".changeset", file)));
    symlinkSync(join(root, "node_modules"), join(copy, "node_modules"));
    for (const pkg of packages) {
      const dir = join(copy, "packages", pkg.manifest.name.replace("@bplab/", ""));
      mkdirSync(join(dir, "node_modules/@bplab"), { recursive: true });
      for (const file of ["package.json", "README.md", "LICENSE"])
        if (existsSync(join(pkg.dir, file)))
          writeFileSync(join(dir, file), readFileSync(join(pkg.dir, file)));
    }
    // pnpm pack resolves workspace:* (devDependencies too) through each package's node_modules, as
    // `pnpm install` links it.
    for (const pkg of packages) {
      const dir = join(copy, "packages", pkg.manifest.name.replace("@bplab/", ""));
      const manifest = readJson(join(dir, "package.json"));
      for (const dep of Object.keys({
        ...manifest.dependencies,
        ...manifest.devDependencies,
        ...manifest.optionalDependencies,
      }))
        if (dep.startsWith("@bplab/"))
          symlinkSync(join(copy, "packages", dep.replace("@bplab/", "")), join(dir, "node_modules", dep));
    }
    const expectedBumps = bumpsFrom(join(copy, ".changeset"));
    expect(expectedBumps.size, "the repository has pending changesets to release").toBeGreaterThan(0);

    const versioned = await run(join(root, "node_modules/.bin/changeset"), ["version"], {
      cwd: copy,
      env: process.env,
    });
    expect(versioned.status, versioned.stderr + versioned.stdout).toBe(0);
    expect(
      readdirSync(join(copy, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md"),
    ).toEqual([]);

    const released = new Map(
      packages.map((pkg) => {
        const dir = join(copy, "packages", pkg.manifest.name.replace("@bplab/", ""));
        return [pkg.manifest.name, { dir, manifest: readJson(join(dir, "package.json")) }];
      }),
    );
    for (const pkg of packages) {
      const { manifest, dir } = released.get(pkg.manifest.name);
      const own = expectedBumps.get(pkg.manifest.name);
      const dependsOnBumped = Object.keys(pkg.manifest.dependencies ?? {}).some(
        (dep) => released.get(dep) && released.get(dep).manifest.version !== versionOf.get(dep),
      );
      if (own) expect(manifest.version, pkg.manifest.name).toBe(bumped(pkg.manifest.version, own));
      else if (dependsOnBumped)
        expect(manifest.version, pkg.manifest.name).toBe(bumped(pkg.manifest.version, "patch"));
      if (manifest.version !== pkg.manifest.version)
        expect(readFileSync(join(dir, "CHANGELOG.md"), "utf8")).toContain(`## ${manifest.version}`);
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {}))
        if (dep.startsWith("@bplab/")) expect(range, `${pkg.manifest.name} -> ${dep}`).toBe("workspace:*");
    }

    // The packed manifests of the release name exactly the released versions of each other.
    const destination = join(copy, "tarballs");
    mkdirSync(destination);
    const releasedPublishable = publishable.map((pkg) => released.get(pkg.manifest.name).dir);
    const packs = await packAll(releasedPublishable, destination);
    for (const dir of releasedPublishable) {
      const { manifest } = tarballContents(packs.get(dir).filename);
      for (const [dep, range] of Object.entries(manifest.dependencies ?? {}))
        if (dep.startsWith("@bplab/"))
          expect(range, `${manifest.name} -> ${dep}`).toBe(released.get(dep).manifest.version);
    }
  });
});
