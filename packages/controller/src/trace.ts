import type { Clock } from "./ports.js";
import { systemClock } from "./time.js";

/** A JSON-safe field value: bigints are turned into "0x…" strings when the event is emitted. */
export type TraceValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | TraceValue[]
  | { [key: string]: TraceValue };

/** Fields the controller attaches to an event, before seq/timeMs/kind are added. */
export type TraceFields = Record<string, unknown>;

export interface TraceEvent {
  /** 1, 2, 3… in emission order for this controller. */
  readonly seq: number;
  /** Clock time of the event, from the controller's Clock port. */
  readonly timeMs: number;
  /** What happened: "command", "completion", "register", "lock.transition", "bp.read.start", … */
  readonly kind: string;
  readonly [field: string]: TraceValue;
}

export type TraceListener = (event: TraceEvent) => void;

/**
 * Structured events from the controller. Emission is free when nobody listens: callers pass a
 * factory so decoding (describeCommand, hex formatting) only happens for subscribed buses.
 */
export class TraceBus {
  private readonly listeners = new Set<TraceListener>();
  private readonly clock: Clock;
  private nextSeq = 1;

  constructor(clock: Clock = systemClock) {
    this.clock = clock;
  }

  /** True when at least one listener is subscribed. */
  get active(): boolean {
    return this.listeners.size > 0;
  }

  /** Calls `listener` for every later event; returns the function that unsubscribes it. */
  subscribe(listener: TraceListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(kind: string, fields: TraceFields | (() => TraceFields) = {}): void {
    if (this.listeners.size === 0) return;
    let resolved: TraceFields;
    try {
      resolved = typeof fields === "function" ? fields() : fields;
    } catch (thrown) {
      // Describing an event must never take the device down (the core never throws).
      resolved = { traceError: thrown instanceof Error ? thrown.message : String(thrown) };
    }
    const event = Object.freeze({
      seq: this.nextSeq++,
      timeMs: this.clock.nowMs(),
      kind,
      ...toJsonSafeRecord(resolved),
    }) as TraceEvent;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A broken listener must not take the device down with it (the core never throws).
      }
    }
  }

  /** Collects every later event into an array until `stop()` is called. */
  record(): { readonly events: TraceEvent[]; stop(): void } {
    const events: TraceEvent[] = [];
    const stop = this.subscribe((event) => events.push(event));
    return { events, stop };
  }
}

function toJsonSafeRecord(fields: TraceFields): Record<string, TraceValue> {
  const out: Record<string, TraceValue> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (key === "seq" || key === "timeMs" || key === "kind") continue;
    out[key] = toJsonSafe(value);
  }
  return out;
}

function toJsonSafe(value: unknown): TraceValue {
  if (typeof value === "bigint") return `0x${value.toString(16)}`;
  if (value === null || value === undefined) return value;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (typeof value === "object") return toJsonSafeRecord(value as TraceFields);
  return String(value);
}

/** Formats a 32-bit register or dword value for traces: "0x0000_0009" style without separators. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, "0")}`;
}
