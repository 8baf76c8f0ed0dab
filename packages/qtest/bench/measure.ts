import { readFileSync } from "node:fs";

/**
 * What every QEMU bench row has: a figure, the limit it is measured against in the same run, their
 * ratio and the goal (issue 13). Also the timing helpers.
 */
export interface BenchRow {
  readonly workload: string;
  readonly value: number;
  readonly unit: string;
  /** The limit measured in the same run (same unit), when the row has one. */
  readonly limit?: number;
  readonly limitName?: string;
  /** Goal as a fraction of the limit (0.25: at least 25% of it). */
  readonly goal?: number;
  readonly detail?: string;
}

export const MIB = 1024 * 1024;

export async function seconds(action: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await action();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Best of `repeats`: the least disturbed run on a shared 2-core machine. */
export async function bestSeconds(repeats: number, action: () => Promise<unknown>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let run = 0; run < repeats; run++) fastest = Math.min(fastest, await seconds(action));
  return fastest;
}

function verdict(row: BenchRow): string {
  if (row.limit === undefined || row.goal === undefined) return "report";
  const ratio = row.value / row.limit;
  if (ratio >= row.goal) return "met";
  return `misses by ${((row.goal - ratio) * 100).toFixed(0)} points`;
}

/** One table: figure, limit, ratio, goal and whether the goal is met. */
export function formatTable(rows: readonly BenchRow[]): string {
  const lines = rows.map((row) => [
    row.workload,
    `${row.value.toFixed(1)} ${row.unit}`,
    row.limit === undefined ? "—" : `${row.limit.toFixed(1)} ${row.unit} (${row.limitName ?? "limit"})`,
    row.limit === undefined ? "—" : `${((row.value / row.limit) * 100).toFixed(1)}%`,
    row.goal === undefined ? "—" : `≥ ${(row.goal * 100).toFixed(0)}%`,
    verdict(row),
  ]);
  const header = ["workload", "now", "limit (same run)", "ratio", "goal", "verdict"];
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...lines.map((cells) => `| ${cells.join(" | ")} |`),
  ].join("\n");
}

/** User + system CPU seconds of a process (from /proc), to say where round-trip time goes. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
    return ticks / 100;
  } catch {
    return undefined;
  }
}
