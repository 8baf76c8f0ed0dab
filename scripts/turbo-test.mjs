#!/usr/bin/env node
// The `test` script of every package (and `test:scripts` of the root): vitest with a JSON report
// in .turbo/bplab/vitest.json, which turbo caches with the task and scripts/turbo-summary.mjs adds
// up. `--needs a,b` names the artefacts of scripts/turbo-ensure.mjs the tests use: turbo builds
// them first (turbo.json dependsOn), but after a cache hit the stamp may name an artefact that has
// since been deleted from ~/.cache/bplab, so it is rebuilt here before vitest starts.
//
//   node ../../scripts/turbo-test.mjs [--needs qemu,guest-image] [vitest args...]
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { artefactPresent, ensure, readStamp } from "./turbo-ensure.mjs";
import { resultsFile } from "./turbo-tally.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const needsAt = args.indexOf("--needs");
const needs = needsAt === -1 ? [] : (args.splice(needsAt, 2)[1] ?? "").split(",").filter(Boolean);

for (const name of needs) {
  if (artefactPresent(readStamp(name))) continue;
  console.log(`[test] ${name}: the stamp names an artefact that is not there: building it again`);
  await ensure(name);
}

// The container e2e tests find the lab image by the tag the docker suite sets (see turbo-ensure).
const labImage = needs.includes("lab-image") ? readStamp("lab-image")?.dockerImage : undefined;
const env = labImage ? { ...process.env, BPLAB_LAB_IMAGE: labImage } : process.env;

const cwd = process.cwd();
const report = resultsFile(cwd, "vitest");
mkdirSync(dirname(report), { recursive: true });
rmSync(report, { force: true });
const vitest = spawnSync(
  join(root, "node_modules/.bin/vitest"),
  ["run", "--reporter=default", "--reporter=json", `--outputFile=${report}`, ...args],
  { cwd, stdio: "inherit", env },
);
const status = vitest.status ?? 1;
writeFileSync(resultsFile(cwd, "test"), `${JSON.stringify({ exitStatus: status, needs })}\n`);
process.exit(status);
