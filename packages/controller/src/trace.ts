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

export interface TraceSubscribeOptions {
  /**
   * Only these kinds reach the listener. Events no listener wants are never built: their field
   * factories are not called and their JSON-safe records are not made. Sequence numbers still
   * count every event, so a filtered listener sees gaps where other kinds were emitted.
   */
  readonly kinds?: Iterable<string>;
}

interface Subscription {
  readonly listener: TraceListener;
  /** undefined: every kind. */
  readonly kinds: ReadonlySet<string> | undefined;
}

/**
 * Structured events from the controller. Emission is free when nobody listens: callers pass a
 * factory so decoding (describeCommand, hex formatting) only happens for subscribed buses, and
 * only for kinds some listener asked for.
 */
export class TraceBus {
  /**
   * Replaced (never mutated) on subscribe/unsubscribe, so emit iterates a snapshot without
   * copying it per event: a listener that subscribes or unsubscribes mid-event changes only later
   * events, as with the copied list this replaced.
   */
  #subscriptions: readonly Subscription[] = [];
  /** Kinds any filtered listener wants; only consulted when no listener takes every kind. */
  #wantedKinds = new Set<string>();
  #everyKind = false;
  private readonly clock: Clock;
  private nextSeq = 1;

  constructor(clock: Clock = systemClock) {
    this.clock = clock;
  }

  /** True when at least one listener is subscribed. */
  get active(): boolean {
    return this.#subscriptions.length > 0;
  }

  /** Calls `listener` for every later event (or only `options.kinds`); returns the unsubscribe function. */
  subscribe(listener: TraceListener, options: TraceSubscribeOptions = {}): () => void {
    const subscription: Subscription = {
      listener,
      kinds: options.kinds === undefined ? undefined : new Set(options.kinds),
    };
    this.#setSubscriptions([...this.#subscriptions, subscription]);
    return () => {
      this.#setSubscriptions(this.#subscriptions.filter((entry) => entry !== subscription));
    };
  }

  emit(kind: string, fields: TraceFields | (() => TraceFields) = {}): void {
    const subscriptions = this.#subscriptions;
    if (subscriptions.length === 0) return;
    const seq = this.nextSeq++;
    if (!this.#everyKind && !this.#wantedKinds.has(kind)) return;
    let resolved: TraceFields;
    try {
      resolved = typeof fields === "function" ? fields() : fields;
    } catch (thrown) {
      // Describing an event must never take the device down (the core never throws).
      resolved = { traceError: thrown instanceof Error ? thrown.message : String(thrown) };
    }
    const record: Record<string, TraceValue> = { seq, timeMs: this.clock.nowMs(), kind };
    copyJsonSafe(resolved, record);
    const event = Object.freeze(record) as TraceEvent;
    for (const { listener, kinds } of subscriptions) {
      if (kinds !== undefined && !kinds.has(kind)) continue;
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

  #setSubscriptions(subscriptions: readonly Subscription[]): void {
    this.#subscriptions = subscriptions;
    this.#everyKind = subscriptions.some((entry) => entry.kinds === undefined);
    this.#wantedKinds = new Set(subscriptions.flatMap((entry) => [...(entry.kinds ?? [])]));
  }
}

/**
 * Copies `fields` into `out` as JSON-safe values, leaving out the bus's own seq/timeMs/kind. A
 * for-in loop into the caller's object: this runs for every traced event (issue 13).
 */
function copyJsonSafe(fields: TraceFields, out: Record<string, TraceValue>): void {
  for (const key in fields) {
    if (key === "seq" || key === "timeMs" || key === "kind" || !Object.hasOwn(fields, key)) continue;
    out[key] = toJsonSafe(fields[key]);
  }
}

function toJsonSafe(value: unknown): TraceValue {
  if (typeof value === "bigint") return `0x${value.toString(16)}`;
  if (value === null || value === undefined) return value;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  if (typeof value === "object") {
    const out: Record<string, TraceValue> = {};
    copyJsonSafe(value as TraceFields, out);
    return out;
  }
  return String(value);
}

/** Formats a 32-bit register or dword value for traces: "0x0000_0009" style without separators. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, "0")}`;
}
