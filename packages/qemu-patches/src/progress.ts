/**
 * Progress of long steps. Functions report `ProgressEvent`s to a listener; the CLI and the test
 * suite print them with `createProgressPrinter`, which shows one updating line on a terminal and
 * a line every few percent (or every half minute) in a CI log.
 */

export interface ProgressEvent {
  /** The step, for example "configure", "compile", "qtest". */
  readonly phase: string;
  readonly message: string;
  /** Steps done and total, when the step knows them (ninja's [n/m]). */
  readonly current?: number;
  readonly total?: number;
  /** Time since the step started. */
  readonly elapsedMs: number;
}

export type ProgressListener = (event: ProgressEvent) => void;

/** The clock is injected so tests can drive elapsed times. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => performance.now() };

/** Reports the events of one step with the elapsed time since the step began. */
export class StepReporter {
  private readonly startMs: number;

  constructor(
    readonly phase: string,
    private readonly listener: ProgressListener | undefined,
    private readonly clock: Clock = systemClock,
  ) {
    this.startMs = clock.nowMs();
  }

  get elapsedMs(): number {
    return this.clock.nowMs() - this.startMs;
  }

  report(message: string, current?: number, total?: number): void {
    if (!this.listener) return;
    const event: ProgressEvent = {
      phase: this.phase,
      message,
      elapsedMs: this.elapsedMs,
      ...(current === undefined ? {} : { current }),
      ...(total === undefined ? {} : { total }),
    };
    this.listener(event);
  }
}

export interface NinjaProgress {
  readonly current: number;
  readonly total: number;
  readonly what: string;
}

/** ninja prints `[n/m] description` for every edge it runs. */
export function parseNinjaProgress(line: string): NinjaProgress | undefined {
  const match = /^\[(\d+)\/(\d+)\]\s*(.*)$/.exec(line);
  if (!match) return undefined;
  return { current: Number(match[1]), total: Number(match[2]), what: match[3] ?? "" };
}

export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  const rest = String(seconds % 60).padStart(2, "0");
  return minutes > 0 ? `${minutes}m${rest}s` : `${seconds}s`;
}

const PERCENT = 100;

export function formatProgressLine(event: ProgressEvent): string {
  let counter = "";
  if (event.current !== undefined && event.total !== undefined && event.total > 0) {
    const percent = Math.floor((event.current / event.total) * PERCENT);
    counter = ` ${event.current}/${event.total} ${String(percent).padStart(3)}%`;
  }
  return `[${event.phase}${counter}] ${formatElapsed(event.elapsedMs)}  ${event.message}`;
}

export interface PrinterOptions {
  write: (text: string) => void;
  /** One line that updates in place (a terminal) instead of a log of lines. */
  interactive: boolean;
  /** In a log, at most one line per this many percent of a step... */
  percentStep?: number;
  /** ...unless this much time has passed since the last line. */
  intervalMs?: number;
  /** Terminal width for the updating line. */
  columns?: number;
}

const DEFAULT_PERCENT_STEP = 10;
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_COLUMNS = 100;

export function createProgressPrinter(options: PrinterOptions): ProgressListener {
  const percentStep = options.percentStep ?? DEFAULT_PERCENT_STEP;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const columns = options.columns ?? DEFAULT_COLUMNS;
  let phase = "";
  let lastBucket = -1;
  let lastPrintedMs = 0;
  let open = false;
  return (event) => {
    const line = formatProgressLine(event);
    if (options.interactive) {
      const fitted = line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line;
      if (event.phase !== phase && open) options.write("\n");
      options.write(`\r${fitted.padEnd(columns - 1)}`);
      open = true;
      phase = event.phase;
      return;
    }
    const counted = event.current !== undefined && event.total !== undefined && event.total > 0;
    const bucket = counted
      ? Math.floor(((event.current ?? 0) / (event.total ?? 1)) * (PERCENT / percentStep))
      : -1;
    const due =
      event.phase !== phase ||
      !counted ||
      bucket !== lastBucket ||
      event.elapsedMs - lastPrintedMs >= intervalMs ||
      event.current === event.total;
    if (event.phase !== phase) lastPrintedMs = 0;
    phase = event.phase;
    if (!due) return;
    lastBucket = bucket;
    lastPrintedMs = event.elapsedMs;
    options.write(`${line}\n`);
  };
}
