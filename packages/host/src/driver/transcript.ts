import {
  BPINFO_LAYOUT,
  binarySpec,
  type CompletionQueueEntry,
  describeCommand,
  describeCompletion,
  formatStatus,
  type SubmissionQueueEntry,
} from "@bplab/nvme-spec";

/** "10b": a BPINFO.BRS value the way the spec writes it. */
export function formatBrs(brs: number): string {
  return binarySpec(brs, BPINFO_LAYOUT.brs.width);
}

export type TranscriptEntry =
  | { seq: number; kind: "command"; cid: number; opcode: number; text: string }
  | { seq: number; kind: "completion"; cid: number; status: string; dw0: number; text: string }
  | { seq: number; kind: "register"; text: string }
  | { seq: number; kind: "note"; text: string };

/** Distributes `Omit<TranscriptEntry, "seq">` over the union so each kind keeps its own fields. */
export type TranscriptInput = TranscriptEntry extends infer E
  ? E extends unknown
    ? Omit<E, "seq">
    : never
  : never;

export type TranscriptListener = (entry: TranscriptEntry) => void;

/** Entries a transcript keeps by default: a whole demo, but not a 1 GiB write's 262 144 downloads. */
export const DEFAULT_TRANSCRIPT_LIMIT = 100_000;

/**
 * Everything the driver sent and received, decoded for people: the CLI prints it, and a failing
 * scenario can show the last lines. The last `limit` entries are kept in memory; subscribers see
 * every entry.
 */
export class Transcript {
  private kept: TranscriptEntry[] = [];
  private readonly listeners = new Set<TranscriptListener>();
  private nextSeq = 0;

  constructor(private readonly limit = DEFAULT_TRANSCRIPT_LIMIT) {}

  /** The last `limit` entries, oldest first. */
  get entries(): readonly TranscriptEntry[] {
    if (this.kept.length > this.limit) this.kept = this.kept.slice(-this.limit);
    return this.kept;
  }

  subscribe(listener: TranscriptListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  command(sqe: SubmissionQueueEntry): void {
    this.add({
      kind: "command",
      cid: sqe.cid,
      opcode: sqe.opcode,
      text: describeCommand(sqe, { admin: true }),
    });
  }

  completion(cqe: CompletionQueueEntry): void {
    this.add({
      kind: "completion",
      cid: cqe.cid,
      status: formatStatus(cqe.status),
      dw0: cqe.dw0,
      text: describeCompletion(cqe),
    });
  }

  register(text: string): void {
    this.add({ kind: "register", text });
  }

  note(text: string): void {
    this.add({ kind: "note", text });
  }

  /** One line per entry, e.g. `#12 → [cid 3] Firmware Commit CA=110b (replace BP) BPID=1`. */
  format(entries: readonly TranscriptEntry[] = this.entries): string {
    return entries.map(formatTranscriptEntry).join("\n");
  }

  private add(entry: TranscriptInput): void {
    const full = { ...entry, seq: this.nextSeq++ } as TranscriptEntry;
    this.kept.push(full);
    // Trim in batches so a long run does not pay for a shift() per entry.
    if (this.kept.length >= 2 * this.limit) this.kept = this.kept.slice(-this.limit);
    for (const listener of this.listeners) listener(full);
  }
}

export function formatTranscriptEntry(entry: TranscriptEntry): string {
  switch (entry.kind) {
    case "command":
      return `#${entry.seq} → [cid ${entry.cid}] ${entry.text}`;
    case "completion":
      return `#${entry.seq} ← [cid ${entry.cid}] ${entry.text}`;
    case "register":
      return `#${entry.seq} ⇄ ${entry.text}`;
    case "note":
      return `#${entry.seq} · ${entry.text}`;
  }
}
