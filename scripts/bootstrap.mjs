#!/usr/bin/env node
// Entry point behind the README's two commands (`npm run demo`, `npm test`): installs with the
// pinned pnpm (see scripts/pnpm.mjs for how it is found on a machine without one), builds, then
// runs the demo or every test. Under turbo (`pnpm turbo test`) `test` only prints the summary.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { pnpmExec, resolvePnpm } from "./pnpm.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

const pnpm = resolvePnpm(root);
const pn = (...args) => run(pnpm.command, [...pnpm.prefix, ...args]);
const must = (status, what) => {
  if (status !== 0) {
    console.error(`bootstrap: ${what} failed (exit ${status})`);
    process.exit(status);
  }
};

const job = process.argv[2];
const rest = process.argv.slice(3);

// `pnpm turbo test` runs this root `test` script as turbo.json's `//#test` task, after every
// package's tests (turbo sets TURBO_HASH in a task's environment): then there is nothing to
// install or build, only the closing line to print (scripts/turbo-summary.mjs).
// biome-ignore lint/suspicious/noUndeclaredEnvVars: set by turbo itself for every task
if (job === "test" && process.env.TURBO_HASH) {
  process.exit(run(process.execPath, [join(root, "scripts/turbo-summary.mjs"), ...rest]));
}
must(
  pn("install", ...(existsSync(join(root, "pnpm-lock.yaml")) ? ["--frozen-lockfile"] : [])),
  "pnpm install",
);
must(run(...pnpmExec(pnpm, "turbo", ["run", "build", "--output-logs=errors-only"])), "build");

if (job === "demo") {
  process.exit(run(process.execPath, [join(root, "packages/cli/dist/bin.js"), "demo", ...rest]));
} else if (job === "test") {
  process.exit(run(process.execPath, [join(root, "scripts/run-tests.mjs"), ...rest]));
} else {
  console.error(`bootstrap: unknown job ${JSON.stringify(job)} (expected demo or test)`);
  process.exit(2);
}
