// The one place that decides how the repository's scripts run pnpm (and the tools pnpm brings,
// such as turbo). A fresh clone has only Node 20 and npm: corepack cannot fetch pnpm here (its
// signature check fails against the registry metadata), so when the pnpm on PATH is not the
// pinned one we run the pinned pnpm through npx. Tools must be started through that pnpm
// (`pnpm exec turbo ...`), never as node_modules/.bin/<tool> directly: turbo looks for the
// package manager's binary on PATH and stops with "Unable to find package manager binary" when
// there is no global pnpm, which is exactly the fresh machine CI runs on.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The pnpm version of the root package.json's `packageManager` field. */
export function pinnedPnpmVersion(root) {
  const { packageManager } = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const match = /^pnpm@(\d+\.\d+\.\d+)$/.exec(packageManager ?? "");
  if (!match)
    throw new Error(`package.json: packageManager ${JSON.stringify(packageManager)} is not pnpm@X.Y.Z`);
  return match[1];
}

/**
 * How to start the pinned pnpm: `{ command, prefix }`, so that `command [...prefix, ...args]` runs
 * `pnpm ...args`. `env` is the environment the commands will run in (its PATH is probed).
 */
export function resolvePnpm(root, env = process.env) {
  const pinned = pinnedPnpmVersion(root);
  const probe = spawnSync("pnpm", ["--version"], { encoding: "utf8", env });
  if (probe.status === 0 && probe.stdout.trim() === pinned) return { command: "pnpm", prefix: [] };
  return { command: "npx", prefix: ["--yes", `pnpm@${pinned}`] };
}

/** The argv that runs `pnpm exec <tool> ...args` with the pinned pnpm. */
export function pnpmExec(pnpm, tool, args) {
  return [pnpm.command, [...pnpm.prefix, "exec", tool, ...args]];
}
