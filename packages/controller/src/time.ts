import { ControllerError } from "./errors.js";
import type { Clock, Scheduler } from "./ports.js";

/** Monotonic milliseconds from the process clock. */
export const systemClock: Clock = Object.freeze({ nowMs: () => performance.now() });

/** A clock that only moves when told to: deterministic trace timestamps in tests. */
export class ManualClock implements Clock {
  private currentMs: number;

  constructor(startMs = 0) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  advance(ms: number): void {
    this.currentMs += ms;
  }
}

/** The default scheduler: device work runs on a later turn of the Node event loop. */
export class ImmediateScheduler implements Scheduler {
  defer(task: () => void): void {
    setImmediate(task);
  }
}

/**
 * A scheduler that runs nothing until the host asks: `runUntilIdle()` is what the in-process
 * target's `settle()` calls. Between a BPRSEL write and `runUntilIdle()`, BRS reads 01b.
 */
export class ManualScheduler implements Scheduler {
  private readonly queue: Array<() => void> = [];
  /** Guard against a task that keeps deferring itself forever. */
  private readonly maxTasksPerRun: number;

  constructor(options: { maxTasksPerRun?: number } = {}) {
    this.maxTasksPerRun = options.maxTasksPerRun ?? 1_000_000;
  }

  defer(task: () => void): void {
    this.queue.push(task);
  }

  /** Number of tasks waiting to run. */
  get pending(): number {
    return this.queue.length;
  }

  /** Runs one task if there is one; returns whether it did. */
  runOne(): boolean {
    const task = this.queue.shift();
    if (task === undefined) return false;
    task();
    return true;
  }

  /** Runs tasks (including the ones they defer) until none is left; returns how many ran. */
  runUntilIdle(): number {
    let ran = 0;
    while (this.runOne()) {
      ran += 1;
      if (ran >= this.maxTasksPerRun && this.queue.length > 0) {
        throw new ControllerError(
          "SCHEDULER_RUNAWAY",
          `ManualScheduler ran ${ran} tasks without going idle (maxTasksPerRun=${this.maxTasksPerRun})`,
        );
      }
    }
    return ran;
  }
}
