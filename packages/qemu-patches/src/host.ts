/** What the machine offers the build: root, Debian, and the tools on PATH. */
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { isExecutable } from "@bplab/node-kit";
import type { HostFacts } from "./apt.js";
import { REQUIRED_TOOLS } from "./pins.js";
import type { CommandRunner } from "./process.js";

/** meson older than this cannot configure QEMU 10.2 (bookworm's own meson is 1.0.1). */
export const MIN_MESON_VERSION: readonly [number, number] = [1, 5];

export function findOnPath(tool: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** True when `version` (such as "1.7.0") is at least `minimum`. */
export function versionAtLeast(version: string, minimum: readonly [number, number]): boolean {
  const [major = 0, minor = 0] = version
    .trim()
    .split(".")
    .map((part) => Number.parseInt(part, 10));
  if (Number.isNaN(major) || Number.isNaN(minor)) return false;
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}

export async function detectHost(
  runner: CommandRunner,
  env: NodeJS.ProcessEnv = process.env,
): Promise<HostFacts> {
  const missingTools = REQUIRED_TOOLS.filter((tool) => !findOnPath(tool, env));
  if (!missingTools.includes("meson")) {
    const meson = await runner("meson", ["--version"], { captureStdout: true, env });
    if (meson.exitCode !== 0 || !versionAtLeast(meson.stdout, MIN_MESON_VERSION)) {
      missingTools.push(`meson>=${MIN_MESON_VERSION.join(".")}`);
    }
  }
  return {
    isRoot: process.getuid?.() === 0,
    isDebian: existsSync("/etc/debian_version"),
    missingTools,
  };
}
