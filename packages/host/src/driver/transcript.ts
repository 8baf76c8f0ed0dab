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

export type TranscriptListener = (entry: TranscriptEntry) => void;

/** Entries a transcript keeps by default: a whole demo, but not a 1 GiB write's 262 144 downloads. */
export const DEFAULT_TRANSCRIPT_LIMIT = 100_000;

/**
 * A command or completion kept as the driver passed it: describing it (`describeCommand`, the
 * status text) costs more than the command itself, so it waits until someone reads the entries.
 */
type UndescribedEntry =
  | {
      readonly seq: number;
      readonly kind: "command";
      readonly sqe: SubmissionQueueEntry;
      readonly text?: never;
    }
  | {
      readonly seq: number;
      readonly kind: "completion";
      readonly cqe: CompletionQueueEntry;
      readonly text?: never;
    };

function describe(entry: TranscriptEntry | UndescribedEntry): TranscriptEntry {
  if (entry.text !== undefined) return entry;
  if (entry.kind === "command") {
    const { seq, sqe } = entry;
    return {
      seq,
      kind: "command",
      cid: sqe.cid,
      opcode: sqe.opcode,
      text: describeCommand(sqe, { admin: true }),
    };
  }
  const { seq, cqe } = entry;
  return {
    seq,
    kind: "completion",
    cid: cqe.cid,
    status: formatStatus(cqe.status),
    dw0: cqe.dw0,
    text: describeCompletion(cqe),
  };
}

/**
 * Everything the driver sent and received, decoded for people: the CLI prints it, and a failing
 * scenario can show the last lines. The last `limit` entries are kept in memory; subscribers see
 * every entry.
 *
 * Recording costs O(1) and describes nothing (issue 13): commands and completions are kept as the
 * driver's own objects and described when `entries` is read, or at once for subscribers.
 */
export class Transcript {
  private kept: Array<TranscriptEntry | UndescribedEntry> = [];
  private readonly listeners = new Set<TranscriptListener>();
  private nextSeq = 0;

  constructor(private readonly limit = DEFAULT_TRANSCRIPT_LIMIT) {}

  /** The last `limit` entries, oldest first. */
  get entries(): readonly TranscriptEntry[] {
    if (this.kept.length > this.limit) this.kept = this.kept.slice(-this.limit);
    // Described in place, so each entry is described at most once however often this is read.
    for (let index = 0; index < this.kept.length; index++) this.kept[index] = describe(this.kept[index]!);
    return this.kept as TranscriptEntry[];
  }

  subscribe(listener: TranscriptListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records a command the driver submitted; the driver must not change `sqe` afterwards. */
  command(sqe: SubmissionQueueEntry): void {
    this.keep({ seq: this.nextSeq++, kind: "command", sqe });
  }

  /** Records a completion the driver consumed; the driver must not change `cqe` afterwards. */
  completion(cqe: CompletionQueueEntry): void {
    this.keep({ seq: this.nextSeq++, kind: "completion", cqe });
  }

  register(text: string): void {
    this.keep({ seq: this.nextSeq++, kind: "register", text });
  }

  note(text: string): void {
    this.keep({ seq: this.nextSeq++, kind: "note", text });
  }

  /** One line per entry, e.g. `#12 → [cid 3] Firmware Commit CA=110b (replace BP) BPID=1`. */
  format(entries: readonly TranscriptEntry[] = this.entries): string {
    return entries.map(formatTranscriptEntry).join("\n");
  }

  private keep(entry: TranscriptEntry | UndescribedEntry): void {
    if (this.listeners.size === 0) {
      this.kept.push(entry);
    } else {
      const described = describe(entry);
      this.kept.push(described);
      for (const listener of this.listeners) listener(described);
    }
    // Trim in batches so a long run does not pay for a shift() per entry.
    if (this.kept.length >= 2 * this.limit) this.kept = this.kept.slice(-this.limit);
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
