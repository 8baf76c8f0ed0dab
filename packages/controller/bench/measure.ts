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
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    best = Math.min(
      best,
      timeSeconds(() => {
        let at = 0;
        for (let done = 0; done < totalBytes; done += pieceBytes) {
          if (at + pieceBytes > bufferBytes) at = 0;
          source.copy(target, at, at, at + Math.min(pieceBytes, totalBytes - done));
          at += pieceBytes;
        }
      }),
    );
  }
  return Math.max(best, 1e-9);
}

export function result(
  fields: Omit<BenchResult, "baselineSeconds" | "ratioToCopy">,
  pieceBytes: number,
): BenchResult {
  const baselineSeconds = copyBaselineSeconds(fields.bytes, pieceBytes);
  return { ...fields, baselineSeconds, ratioToCopy: fields.seconds / baselineSeconds };
}
