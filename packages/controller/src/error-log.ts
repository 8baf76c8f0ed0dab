import type { StatusCode } from "@bplab/nvme-spec";

/** One Error Information log entry as the controller records it (NVMe Base §5.1.12.1.2). */
export interface ErrorRecord {
  /** Error Count: 1 for the first error since power-on, then increasing. */
  readonly errorCount: number;
  readonly sqid: number;
  readonly cid: number;
  readonly status: StatusCode;
  readonly dnr: boolean;
  readonly nsid: number;
}

/** Identify ELPE (0's based): the controller keeps the four most recent errors. */
export const ERROR_LOG_ENTRIES = 4;

/** The most recent failed commands, newest first; volatile (a power cycle clears it). */
export class ErrorLog {
  private readonly records: ErrorRecord[] = [];
  private count = 0;

  get totalErrors(): number {
    return this.count;
  }

  /** Newest first, at most ERROR_LOG_ENTRIES. */
  get entries(): readonly ErrorRecord[] {
    return this.records;
  }

  record(entry: Omit<ErrorRecord, "errorCount">): void {
    this.count += 1;
    this.records.unshift({ ...entry, errorCount: this.count });
    if (this.records.length > ERROR_LOG_ENTRIES) this.records.length = ERROR_LOG_ENTRIES;
  }

  clear(): void {
    this.records.length = 0;
    this.count = 0;
  }
}
