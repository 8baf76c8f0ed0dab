#!/usr/bin/env node
// Runs every test of the monorepo once and ends with the plain `N passed, N failed` line
// that CI reads (vitest's own summary is not recognised there). Steps, in order:
//   1. typecheck and lint (each counts as one check),
//   2. the vitest projects of every package (one run, one JSON report),
//   3. extra suites registered in scripts/suites/*.mjs (for example the QEMU qtests).
// A suite may export `prepare({root})`, run before vitest (to build what integration tests need,
// such as the patched QEMU), and `run({root})`, run after it; both return {passed, failed, skipped}.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pnpmExec, resolvePnpm } from "./pnpm.mjs";
import { addCounts, addVitestReport, closingLine, emptyTally } from "./turbo-tally.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// Counted as `pnpm turbo test` counts (scripts/turbo-tally.mjs), so both close with the same line.
const tally = emptyTally();

function step(name, cmd, args) {
  console.log(`\n=== ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });
  const ok = r.status === 0;
  addCounts(tally, name, { passed: ok ? 1 : 0, failed: ok ? 0 : 1 });
  return ok;
}

const bin = (name) => join(root, "node_modules/.bin", name);
// turbo goes through pnpm (scripts/pnpm.mjs says why); biome and vitest need no package manager.
const pnpm = resolvePnpm(root);

step("typecheck", ...pnpmExec(pnpm, "turbo", ["run", "typecheck", "--output-logs=errors-only"]));
step("lint (biome)", bin("biome"), ["check", "."]);

const suitesDir = join(root, "scripts/suites");
const suites = [];
if (existsSync(suitesDir)) {
  for (const file of readdirSync(suitesDir)
    .filter((f) => f.endsWith(".mjs"))
    .sort()) {
    suites.push({ file, module: await import(join(suitesDir, file)) });
  }
}

async function runSuitePhase(phase) {
  for (const { file, module } of suites) {
    if (typeof module[phase] !== "function") continue;
    console.log(`\n=== suite ${file}: ${phase}`);
    addCounts(tally, `${file} ${phase}`, await module[phase]({ root }));
  }
}

await runSuitePhase("prepare");

const report = join(root, ".vitest-report.json");
rmSync(report, { force: true });
console.log("\n=== vitest");
const vitest = spawnSync(
  bin("vitest"),
  ["run", "--reporter=default", "--reporter=json", `--outputFile=${report}`],
  {
    cwd: root,
    stdio: "inherit",
    env: process.env,
  },
);
addVitestReport(tally, "vitest", report, vitest.status);

await runSuitePhase("run");

if (tally.failures.length > 0) console.log(`\nfailed: ${tally.failures.join(", ")}`);
console.log(closingLine(tally));
process.exit(tally.failed === 0 ? 0 : 1);
