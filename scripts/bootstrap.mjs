#!/usr/bin/env node
// Entry point behind the README's two commands (`npm run demo`, `npm test`).
// A fresh clone has only Node 20 and npm: corepack cannot fetch pnpm here (its signature
// check fails against the registry metadata), so we run the pinned pnpm through npx when
// the pnpm on PATH is not the pinned one.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager.split("@")[1];

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: process.env, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

function pnpmCommand() {
  const probe = spawnSync("pnpm", ["--version"], { encoding: "utf8" });
  if (probe.status === 0 && probe.stdout.trim() === pinned) return ["pnpm", []];
  return ["npx", ["--yes", `pnpm@${pinned}`]];
}

const [pnpm, pnpmPrefix] = pnpmCommand();
const pn = (...args) => run(pnpm, [...pnpmPrefix, ...args]);
const must = (status, what) => {
  if (status !== 0) {
    console.error(`bootstrap: ${what} failed (exit ${status})`);
    process.exit(status);
  }
};

const job = process.argv[2];
const rest = process.argv.slice(3);
must(
  pn("install", ...(existsSync(join(root, "pnpm-lock.yaml")) ? ["--frozen-lockfile"] : [])),
  "pnpm install",
);
must(pn("exec", "turbo", "run", "build", "--output-logs=errors-only"), "build");

if (job === "demo") {
  process.exit(run(process.execPath, [join(root, "packages/cli/dist/bin.js"), "demo", ...rest]));
} else if (job === "test") {
  process.exit(run(process.execPath, [join(root, "scripts/run-tests.mjs"), ...rest]));
} else {
  console.error(`bootstrap: unknown job ${JSON.stringify(job)} (expected demo or test)`);
  process.exit(2);
}
