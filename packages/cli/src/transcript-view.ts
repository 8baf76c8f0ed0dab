/**
 * Prints the host driver's transcript for people: one line per command, completion and register
 * step, with long runs of Firmware Image Download pieces folded to their first and last pieces
 * (a 1 GiB image is 262 144 of them).
 */
import type { TranscriptEntry } from "@bplab/host";
import { AdminOpcode } from "@bplab/nvme-spec";

/** Download pieces shown at each end of a folded run. */
const SHOWN_AT_EACH_END = 2;

function line(entry: TranscriptEntry): string {
  switch (entry.kind) {
    case "command":
      return `  → ${entry.text}`;
    case "completion":
      return `  ← ${entry.text}`;
    case "register":
      return `  ⇄ ${entry.text}`;
    case "note":
      return `  · ${entry.text}`;
  }
}

export class TranscriptPrinter {
  readonly #write: (text: string) => void;
  /** Command and completion entries of the current run of downloads, in order. */
  #run: TranscriptEntry[] = [];
  #runCids = new Set<number>();

  constructor(write: (text: string) => void) {
    this.#write = write;
  }

  accept(entry: TranscriptEntry): void {
    const isDownload = entry.kind === "command" && entry.opcode === AdminOpcode.FirmwareImageDownload;
    const isDownloadCompletion = entry.kind === "completion" && this.#runCids.has(entry.cid);
    if (isDownload || isDownloadCompletion) {
      this.#run.push(entry);
      if (isDownload) this.#runCids.add(entry.cid);
      return;
    }
    this.flush();
    this.#write(`${line(entry)}\n`);
  }

  /** Prints a pending download run; call before printing anything that is not a transcript entry. */
  flush(): void {
    const run = this.#run;
    this.#run = [];
    this.#runCids = new Set();
    const pieces = run.filter((entry) => entry.kind === "command").length;
    if (pieces <= 2 * SHOWN_AT_EACH_END) {
      for (const entry of run) this.#write(`${line(entry)}\n`);
      return;
    }
    const headEnd = indexAfterPiece(run, SHOWN_AT_EACH_END);
    const tailStart = indexAfterPiece(run, pieces - SHOWN_AT_EACH_END);
    for (const entry of run.slice(0, headEnd)) this.#write(`${line(entry)}\n`);
    const folded = run.slice(headEnd, tailStart);
    const statuses = new Map<string, number>();
    for (const entry of folded) {
      if (entry.kind === "completion") statuses.set(entry.text, (statuses.get(entry.text) ?? 0) + 1);
    }
    const summary = [...statuses].map(([text, count]) => `${count} × ${text}`).join(", ");
    this.#write(`  ⋮ ${pieces - 2 * SHOWN_AT_EACH_END} more Firmware Image Download pieces: ${summary}\n`);
    for (const entry of run.slice(tailStart)) this.#write(`${line(entry)}\n`);
  }
}

/** The index just past the completion of the `count`-th piece (or past its command). */
function indexAfterPiece(run: readonly TranscriptEntry[], count: number): number {
  let seen = 0;
  for (let index = 0; index < run.length; index++) {
    const entry = run[index];
    if (entry?.kind !== "command") continue;
    if (seen === count) return index;
    seen++;
  }
  return run.length;
}
