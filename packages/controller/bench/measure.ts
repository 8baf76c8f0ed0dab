import { mkdirSync, writeFileSync } from "node:fs";
import { type Profiler, Session } from "node:inspector";
import { join } from "node:path";

/**
 * What every benchmark reports: a throughput, and the same bytes moved by Buffer.copy on the same
 * machine, so a figure means something across machines ("12x the cost of copying the bytes").
 */

export interface BenchResult {
  readonly name: string;
  /** "commands/s" or "MiB/s". */
  readonly unit: string;
  readonly value: number;
  /** Bytes the workload moved (SQE + CQE for commands; payload for transfers). */
  readonly bytes: number;
  readonly seconds: number;
  /** Buffer.copy of the same bytes in the same piece size. */
  readonly baselineSeconds: number;
  /** seconds / baselineSeconds: how many times slower than copying the bytes. */
  readonly ratioToCopy: number;
  readonly notes?: Record<string, number | string>;
}

export const MIB = 1024 * 1024;

/** Seconds taken by `work`, from a monotonic clock. */
export function timeSeconds(work: () => void): number {
  const started = performance.now();
  work();
  return (performance.now() - started) / 1000;
}

/** Source and destination of the copy baseline are capped so a 1 GiB baseline needs no 2 GiB. */
const BASELINE_BUFFER_BYTES = 64 * MIB;

/**
 * Buffer.copy of `totalBytes` in `pieceBytes` pieces (the transfer size of the workload), the best
 * of three runs: the cost of moving the same bytes with nothing else in the way.
 */
export function copyBaselineSeconds(totalBytes: number, pieceBytes: number): number {
  const bufferBytes = Math.max(pieceBytes, Math.min(BASELINE_BUFFER_BYTES, totalBytes));
  const source = Buffer.alloc(bufferBytes, 0xa5);
  const target = Buffer.alloc(bufferBytes);
  return bestOfThreeSeconds(() => {
    let at = 0;
    for (let done = 0; done < totalBytes; done += pieceBytes) {
      if (at + pieceBytes > bufferBytes) at = 0;
      source.copy(target, at, at, at + Math.min(pieceBytes, totalBytes - done));
      at += pieceBytes;
    }
  });
}

/** The fastest of three runs of `work` (never 0 s, so ratios stay finite): a baseline's best case. */
function bestOfThreeSeconds(work: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) best = Math.min(best, timeSeconds(work));
  return Math.max(best, 1e-9);
}

/**
 * Buffer.copy of a whole `sourceBytes` source, piece by piece, into one `pieceBytes` target: the
 * data movement of a BP read into a reused host buffer (a source as large as the BP, not one that
 * stays in the CPU cache), best of three.
 */
export function copyFromLargeSourceSeconds(sourceBytes: number, pieceBytes: number): number {
  const source = Buffer.alloc(sourceBytes, 0xa5);
  const target = Buffer.alloc(pieceBytes);
  return bestOfThreeSeconds(() => {
    for (let at = 0; at < sourceBytes; at += pieceBytes) source.copy(target, 0, at, at + pieceBytes);
  });
}

export function result(
  fields: Omit<BenchResult, "baselineSeconds" | "ratioToCopy">,
  pieceBytes: number,
): BenchResult {
  const baselineSeconds = copyBaselineSeconds(fields.bytes, pieceBytes);
  return { ...fields, baselineSeconds, ratioToCopy: fields.seconds / baselineSeconds };
}

/**
 * One row of the issue-13 table (the shape every package's bench writes and scripts/bench.mjs
 * prints): a figure, its limit measured in the same run, and the goal.
 */
export interface BenchRow {
  readonly section: string;
  readonly workload: string;
  readonly value: number;
  readonly unit: string;
  /** The limit in the same unit, measured in the same run; absent for report-only rows. */
  readonly limit?: number;
  readonly limitName?: string;
  /** value / limit. */
  readonly ratio?: number;
  readonly goal: string;
  /** Absent when the goal is "report". */
  readonly met?: boolean;
  readonly notes?: string;
}

/** MiB/s of the Buffer.copy baseline of a result: the limit its MiB/s is compared with. */
export function copyLimitMibPerSecond(measured: BenchResult): number {
  return measured.bytes / MIB / measured.baselineSeconds;
}

/**
 * When `--cpu-prof-dir <dir>` is given, `timeSeconds` runs under the V8 profiler and writes
 * `<dir>/<label>.cpuprofile` covering only the measured work (not the set-up, nor tsx's start),
 * so the top frames in docs/performance.md are the workload's own.
 */
const profileDirIndex = process.argv.indexOf("--cpu-prof-dir");
const profileDir = profileDirIndex >= 0 ? process.argv[profileDirIndex + 1] : undefined;

export function timeProfiledSeconds(label: string, work: () => void): number {
  if (profileDir === undefined) return timeSeconds(work);
  const session = new Session();
  session.connect();
  // The inspector dispatches to a session in the same thread synchronously.
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 200 });
  session.post("Profiler.start");
  const seconds = timeSeconds(work);
  session.post("Profiler.stop", (error, result) => {
    if (error) throw error;
    dropProfilerCalls(result.profile);
    mkdirSync(profileDir, { recursive: true });
    writeFileSync(join(profileDir, `${label}.cpuprofile`), JSON.stringify(result.profile));
  });
  session.disconnect();
  return seconds;
}

/**
 * Samples inside the profiler's own start and stop calls (`dispatch` under `post`) at either end
 * of the profile are the profiler's, not the workload's.
 */
function dropProfilerCalls(profile: Profiler.Profile): void {
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const inspector = new Set(
    profile.nodes.filter((node) => node.callFrame.functionName === "dispatch").map((node) => node.id),
  );
  while (samples.length > 0 && inspector.has(samples.at(-1)!)) {
    samples.pop();
    deltas.pop();
  }
  while (samples.length > 0 && inspector.has(samples[0]!)) {
    samples.shift();
    deltas.shift();
  }
}
