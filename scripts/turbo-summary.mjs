#!/usr/bin/env node
// The closing line of `pnpm turbo test`: turbo.json's `//#test` task depends on every package's
// test and typecheck task, the root lint and scripts tests and the QEMU suite, so when it runs they
// have all passed (turbo stops at the first failure) and left their reports and stamps (fresh or
// replayed from turbo's cache). It counts them the way scripts/run-tests.mjs counts `npm test`:
// typecheck and lint one check each, the suites' steps as their stamps say, every vitest test.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ARTEFACTS, readStamp } from "./turbo-ensure.mjs";
import { addCounts, addVitestReport, closingLine, emptyTally, resultsFile } from "./turbo-tally.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Package directories that have a test script, in name order. */
function testedPackages() {
  return readdirSync(join(root, "packages"))
    .sort()
    .map((dir) => join(root, "packages", dir))
    .filter((dir) => {
      const manifest = join(dir, "package.json");
      return existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).scripts?.test;
    });
}

function exitStatusOf(dir) {
  const file = resultsFile(dir, "test");
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")).exitStatus : 1;
}

export function summarize() {
  const tally = emptyTally();
  // turbo ran this task only after every typecheck task and the root lint passed.
  addCounts(tally, "typecheck", { passed: 1, failed: 0 });
  addCounts(tally, "lint (biome)", { passed: 1, failed: 0 });
  const steps = [];
  for (const name of Object.keys(ARTEFACTS)) {
    const stamp = readStamp(name);
    if (!stamp) continue; // a package without that artefact's task (e.g. no lab image task yet)
    addCounts(tally, `ensure ${name}`, stamp.counts);
    const { passed, failed, skipped = 0 } = stamp.counts;
    const how = stamp.key ? `key ${stamp.key}` : `${passed} passed, ${failed} failed, ${skipped} skipped`;
    steps.push(`${name}: ${stamp.skipReason ? `skipped (${stamp.skipReason})` : how}`);
  }
  for (const dir of [...testedPackages(), root]) {
    const name = dir === root ? "scripts" : dir.slice(root.length + 1);
    addVitestReport(tally, `vitest ${name}`, resultsFile(dir, "vitest"), exitStatusOf(dir));
  }
  return { tally, steps };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { tally, steps } = summarize();
  for (const step of steps) console.log(`  ${step}`);
  if (tally.failures.length > 0) console.log(`\nfailed: ${tally.failures.join(", ")}`);
  console.log(closingLine(tally));
  process.exit(tally.failed === 0 ? 0 : 1);
}
