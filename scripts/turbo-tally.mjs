// How a test run is counted, shared by `npm test` (scripts/run-tests.mjs) and `pnpm turbo test`
// (scripts/turbo-summary.mjs), so both print the same closing line for the same results.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Where a turbo task of a package leaves what the summary reads (gitignored with .turbo/). */
export const TURBO_RESULTS_DIR = ".turbo/bplab";

/** The results file of one turbo task in a package (or the root) directory. */
export function resultsFile(dir, name) {
  return join(dir, TURBO_RESULTS_DIR, `${name}.json`);
}

export function emptyTally() {
  return { passed: 0, failed: 0, skipped: 0, failures: [] };
}

/** Adds `{passed, failed, skipped}` of a step called `name` to the tally. */
export function addCounts(tally, name, counts) {
  tally.passed += counts.passed;
  tally.failed += counts.failed;
  tally.skipped += counts.skipped ?? 0;
  if (counts.failed > 0) tally.failures.push(name);
}

/**
 * Adds a vitest JSON report (`--reporter=json`). `exitStatus` is vitest's exit code: an uncaught
 * exception or unhandled rejection fails it without failing a test, and must not print "0 failed".
 */
export function addVitestReport(tally, name, reportPath, exitStatus) {
  if (!existsSync(reportPath)) {
    addCounts(tally, `${name} (no report written)`, { passed: 0, failed: 1 });
    return;
  }
  const json = JSON.parse(readFileSync(reportPath, "utf8"));
  const counts = {
    passed: json.numPassedTests,
    failed: json.numFailedTests,
    skipped: json.numPendingTests + json.numTodoTests,
  };
  // A suite that failed to load has no failed test in it: count the suite.
  if (json.numFailedTestSuites > 0 && json.numFailedTests === 0) counts.failed += json.numFailedTestSuites;
  addCounts(tally, name, counts);
  if (exitStatus !== 0 && counts.failed === 0) {
    addCounts(tally, `${name} (exited with an error outside any test: see 'Unhandled Errors' above)`, {
      passed: 0,
      failed: 1,
    });
  }
}

/** The closing line CI reads. */
export function closingLine(tally) {
  return `${tally.passed} passed, ${tally.failed} failed, ${tally.skipped} skipped`;
}
