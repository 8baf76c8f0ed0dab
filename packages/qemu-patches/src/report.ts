/**
 * Plain-text reports of the results, shared by `bplab-qemu` and the `bplab qemu` commands of
 * @bplab/cli so both print the same thing.
 */
import type { BuildResult } from "./build.js";
import type { CheckResult } from "./check.js";
import { formatElapsed } from "./progress.js";
import type { QtestResult } from "./qtests.js";
import type { QemuSource } from "./source.js";
import type { PreparedTree } from "./tree.js";

export function formatSource(source: QemuSource): string {
  return `${source.path} (${source.kind}, ${source.verified ? "sha256 matches the pin" : "not the pinned tarball"})`;
}

export function formatTree(tree: PreparedTree): string {
  return `${tree.sourceDir}: ${tree.commits.length} patches applied`;
}

export function formatBuild(built: BuildResult): string {
  const how = built.cached ? "cached" : `built in ${formatElapsed(built.durationMs)}`;
  return `${built.binary} (${built.unpatched ? "unpatched, " : ""}${how}, key ${built.key})`;
}

export function formatQtests(result: QtestResult): string {
  return [
    ...result.tests.map(
      (test) => `${test.ok ? "ok" : "not ok"} ${test.name}${test.skip ? ` # ${test.skip}` : ""}`,
    ),
    `Boot Partition: ${result.bootPartition.passed} passed, ${result.bootPartition.failed} failed`,
    `stock nvme:     ${result.stock.passed} passed, ${result.stock.failed} failed`,
    `${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped (${formatElapsed(result.durationMs)})`,
  ].join("\n");
}

/** A qtest run counts as a success only when it ran tests and none failed. */
export function qtestsPassed(result: QtestResult): boolean {
  return result.failed === 0 && result.passed > 0;
}

export function formatCheck(result: CheckResult): string {
  return result.gates
    .flatMap((gate) => [
      `${gate.ok ? "PASS" : "FAIL"} ${gate.name}: ${gate.summary}${gate.cached ? "" : ` (${formatElapsed(gate.durationMs)})`}`,
      ...(gate.ok ? [] : gate.details.map((line) => `     ${line}`)),
    ])
    .join("\n");
}
