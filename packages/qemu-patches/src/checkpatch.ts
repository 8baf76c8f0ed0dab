/** QEMU's scripts/checkpatch.pl, run on every patch of the series. */
import { join } from "node:path";
import { type CommandRunner, runCommand } from "./process.js";
import type { Series } from "./series.js";

export interface CheckpatchReport {
  readonly patch: string;
  readonly errors: number;
  readonly warnings: number;
  /** The ERROR: and WARNING: lines, for the report. */
  readonly findings: readonly string[];
  readonly exitCode: number | null;
}

/** Reads "total: 0 errors, 1 warnings, 120 lines checked" (absent when the script crashed). */
export function parseCheckpatchTotals(output: string): { errors: number; warnings: number } | undefined {
  const match = /total:\s*(\d+)\s+errors?,\s*(\d+)\s+warnings?/.exec(output);
  if (!match) return undefined;
  return { errors: Number(match[1]), warnings: Number(match[2]) };
}

export function parseCheckpatchFindings(output: string): string[] {
  return output.split(/\r?\n/).filter((line) => /^(ERROR|WARNING):/.test(line));
}

export async function checkpatchSeries(
  sourceDir: string,
  series: Series,
  runner: CommandRunner = runCommand,
): Promise<CheckpatchReport[]> {
  const script = join(sourceDir, "scripts", "checkpatch.pl");
  const reports: CheckpatchReport[] = [];
  for (const patch of series.patches) {
    const result = await runner("perl", [script, "--no-color", patch.path], {
      cwd: sourceDir,
      captureStdout: true,
    });
    const output = `${result.stdout}\n${result.tail}`;
    const totals = parseCheckpatchTotals(output);
    reports.push({
      patch: patch.name,
      // no totals line means the script did not finish: count that as an error
      errors: totals?.errors ?? 1,
      warnings: totals?.warnings ?? 0,
      findings: totals
        ? parseCheckpatchFindings(result.stdout)
        : [`checkpatch did not finish:\n${result.tail}`],
      exitCode: result.exitCode,
    });
  }
  return reports;
}
