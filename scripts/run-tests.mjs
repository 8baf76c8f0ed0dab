#!/usr/bin/env node
// Runs every test of the monorepo once and ends with the plain `N passed, N failed` line
// that CI reads (vitest's own summary is not recognised there). Steps, in order:
//   1. typecheck and lint (each counts as one check),
//   2. the vitest projects of every package (one run, one JSON report),
//   3. extra suites registered in scripts/suites/*.mjs (for example the QEMU qtests).
// A suite may export `prepare({root})`, run before vitest (to build what integration tests need,
// such as the patched QEMU), and `run({root})`, run after it; both return {passed, failed, skipped}.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pnpmExec, resolvePnpm } from "./pnpm.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tally = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

function step(name, cmd, args) {
  console.log(`\n=== ${name}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env });
  const ok = r.status === 0;
  tally[ok ? "passed" : "failed"] += 1;
  if (!ok) failures.push(name);
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
    const r = await module[phase]({ root });
    tally.passed += r.passed;
    tally.failed += r.failed;
    tally.skipped += r.skipped ?? 0;
    if (r.failed > 0) failures.push(`${file} ${phase}`);
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
if (existsSync(report)) {
  const json = JSON.parse(readFileSync(report, "utf8"));
  tally.passed += json.numPassedTests;
  tally.failed += json.numFailedTests;
  tally.skipped += json.numPendingTests + json.numTodoTests;
  if (json.numFailedTests > 0 || json.numFailedTestSuites > 0) failures.push("vitest");
  if (json.numFailedTestSuites > 0 && json.numFailedTests === 0) tally.failed += json.numFailedTestSuites;
  // An uncaught exception or unhandled rejection fails vitest's exit code without failing a test:
  // count it, or the closing line would say "0 failed" over a broken run.
  if (vitest.status !== 0 && json.numFailedTests === 0 && json.numFailedTestSuites === 0) {
    tally.failed += 1;
    failures.push("vitest (exited with an error outside any test: see 'Unhandled Errors' above)");
  }
} else {
  tally.failed += 1;
  failures.push("vitest (no report written)");
}

await runSuitePhase("run");

if (failures.length > 0) console.log(`\nfailed: ${failures.join(", ")}`);
console.log(`${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`);
process.exit(tally.failed === 0 ? 0 : 1);
