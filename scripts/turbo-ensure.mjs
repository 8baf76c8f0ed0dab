#!/usr/bin/env node
// The expensive artefacts of `pnpm turbo test` as turbo tasks: each builds (or finds cached) one
// artefact with its package's own builder and writes a small stamp naming the cache key. The
// artefact itself stays where the builder caches it (~/.cache/bplab/<area>/<key>/, or the Docker
// image store); turbo caches only the stamp, so a second run is a cache hit. When turbo replays a
// stamp whose artefact has since been deleted, scripts/turbo-test.mjs runs this again first.
//
//   node scripts/turbo-ensure.mjs <artefact>     (artefacts: see ARTEFACTS below)
//
// A stamp is {artefact, key, path, cached, skipReason, counts}; `counts` are what `npm test`
// (scripts/run-tests.mjs and its scripts/suites/) counts for the same step, so both entry points
// close with the same line.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { resultsFile } from "./turbo-tally.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const SKIP_QEMU = "BPLAB_SKIP_QEMU";
const NONE = { passed: 0, failed: 0, skipped: 0 };

const load = (pkg) => import(pathToFileURL(join(root, "packages", pkg, "dist/index.js")).href);
const suite = (file) => import(pathToFileURL(join(root, "scripts/suites", file)).href);

/** Why the QEMU builds cannot run here (the rule of scripts/suites/qemu.mjs), or undefined. */
async function qemuSkipReason(api) {
  if (process.env[SKIP_QEMU] === "1") return `${SKIP_QEMU}=1`;
  const host = await api.detectHost(async (command, args) => {
    const r = spawnSync(command, args, { encoding: "utf8" });
    return { exitCode: r.status, stdout: r.stdout ?? "", tail: r.stderr ?? "" };
  });
  if (!host.isDebian && host.missingTools.length > 0)
    return `not a Debian machine and missing ${host.missingTools.join(", ")}`;
  if (!host.isRoot && host.missingTools.length > 0)
    return `not root and missing build dependencies: ${host.missingTools.join(", ")}`;
  return undefined;
}

async function qemuBuild(unpatched) {
  const api = await load("qemu-patches");
  const skipReason = await qemuSkipReason(api);
  // run-tests.mjs counts one skip for both QEMU builds together: the patched build carries it.
  if (skipReason) return { skipReason, counts: unpatched ? NONE : { ...NONE, skipped: 1 } };
  const built = await api.build({
    unpatched,
    onProgress: api.createProgressPrinter({ write: (t) => process.stderr.write(t), interactive: false }),
  });
  return { key: built.key, path: built.binary, cached: built.cached, counts: { ...NONE, passed: 1 } };
}

/** Each artefact: the package whose builder makes it, and how. */
export const ARTEFACTS = {
  qemu: { pkg: "qemu-patches", ensure: () => qemuBuild(false) },
  "qemu-unpatched": { pkg: "qemu-patches", ensure: () => qemuBuild(true) },
  // The nvme qtests and the checkpatch/bisect gates: scripts/suites/qemu.mjs's run() phase.
  "qemu-suite": {
    pkg: "qemu-patches",
    ensure: async () => {
      const qemuSuite = await suite("qemu.mjs");
      await qemuSuite.prepare({ root }); // finds the two builds of the tasks above in the cache
      return { counts: await qemuSuite.run({ root }) };
    },
  },
  "guest-image": {
    pkg: "lab",
    ensure: async () => {
      const lab = await load("lab");
      if (process.env[SKIP_QEMU] === "1") return { skipReason: `${SKIP_QEMU}=1`, counts: NONE };
      const blockers = lab.hostBlockers(lab.detectHostFacts());
      if (blockers.length > 0) return { skipReason: blockers.join("; "), counts: NONE };
      const image = await lab.buildGuestImage();
      return { key: image.key, path: image.initramfs, cached: image.cached, counts: NONE };
    },
  },
  "efi-app": {
    pkg: "firmware",
    ensure: async () => {
      const firmware = await load("firmware");
      const { pins } = await load("pins");
      // Building needs gnu-efi and a toolchain; OVMF and mtools only matter for a boot.
      const bootOnly = new Set([pins.ovmf.debianPackage, "mtools"]);
      const missing = firmware.missingHostPackages().filter((pkg) => !bootOnly.has(pkg));
      if (missing.length > 0)
        return { skipReason: `missing ${missing.join(", ")} (Debian packages)`, counts: NONE };
      const app = await firmware.buildEfiApp();
      return { key: app.key, path: app.path, cached: app.cached, counts: NONE };
    },
  },
  // The lab image through scripts/suites/docker.mjs's prepare() (engine, base, image: one check),
  // which leaves the tag in BPLAB_LAB_IMAGE; a dockerd it had to start keeps running for the tests.
  "lab-image": {
    pkg: "container",
    ensure: async () => {
      const counts = await (await suite("docker.mjs")).prepare({ root });
      const tag = process.env.BPLAB_LAB_IMAGE;
      if (counts.failed > 0) return { counts }; // the docker suite printed why
      if (counts.skipped > 0 || !tag) return { skipReason: "see the docker suite's line above", counts };
      return { key: tag.split(":").at(-1), dockerImage: tag, counts };
    },
  },
  // Debian's qemu-system-x86 for @bplab/qtest's unpatched-QEMU refusal: scripts/suites/host-tools.mjs.
  "host-tools": {
    pkg: undefined,
    ensure: async () => ({ counts: await (await suite("host-tools.mjs")).prepare({ root }) }),
  },
};

/** The directory whose .turbo/bplab/ holds an artefact's stamp. */
export function stampDir(name) {
  const { pkg } = ARTEFACTS[name];
  return pkg ? join(root, "packages", pkg) : root;
}

export function readStamp(name) {
  const file = resultsFile(stampDir(name), name);
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
}

/** True when the stamp's artefact is still there (or the stamp records a skip). */
export function artefactPresent(stamp) {
  if (!stamp) return false;
  if (stamp.path) return existsSync(stamp.path);
  if (stamp.dockerImage) return spawnSync("docker", ["image", "inspect", stamp.dockerImage]).status === 0;
  return true;
}

export async function ensure(name) {
  const artefact = ARTEFACTS[name];
  if (!artefact)
    throw new Error(`turbo-ensure: unknown artefact ${name} (known: ${Object.keys(ARTEFACTS).join(", ")})`);
  const stamp = { artefact: name, ...(await artefact.ensure()) };
  const file = resultsFile(stampDir(name), name);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(stamp, null, 2)}\n`);
  const what = stamp.skipReason
    ? `skipped: ${stamp.skipReason}`
    : stamp.key
      ? `${stamp.cached ? "cached" : "built"}, key ${stamp.key}`
      : `${stamp.counts.passed} passed, ${stamp.counts.failed} failed, ${stamp.counts.skipped} skipped`;
  console.log(`[${name}] ${what}`);
  return stamp;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stamp = await ensure(process.argv[2]);
  process.exit(stamp.counts.failed > 0 ? 1 : 0);
}
