/**
 * A QMP client: greeting, capability negotiation, commands matched to replies by id, typed errors,
 * and events stashed so that a test can await one that already arrived (`RESET` after
 * `system_reset` often does, before the `return`).
 */
import type { Duplex } from "node:stream";
import { InvalidArgumentError, QmpError, QmpProtocolError, ReplyTimeoutError } from "../errors.js";
import { LineTransport, type LineTransportOptions } from "../line-transport.js";
import { DEFAULT_REPLY_TIMEOUT_MS } from "../qtest/protocol.js";

export interface QmpEvent {
  readonly event: string;
  readonly data: Record<string, unknown> | undefined;
  readonly timestamp: { readonly seconds: number; readonly microseconds: number } | undefined;
}

export interface QmpGreeting {
  readonly version: unknown;
  readonly capabilities: readonly unknown[];
}

export interface QmpClientOptions extends LineTransportOptions {
  /** Time-out for the greeting and for every reply, in ms; 0 disables it. */
  replyTimeoutMs?: number;
}

interface PendingCommand {
  readonly command: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

interface EventWaiter {
  readonly name: string;
  readonly resolve: (event: QmpEvent) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

const GREETING_KEY = "<greeting>";

export class QmpClient {
  private readonly transport: LineTransport;
  private readonly pending = new Map<string, PendingCommand>();
  private readonly stashed: QmpEvent[] = [];
  private readonly waiters = new Set<EventWaiter>();
  private readonly replyTimeoutMs: number;
  private nextId = 1;
  private greetingValue: QmpGreeting | undefined;

  private constructor(stream: Duplex, options: QmpClientOptions) {
    this.replyTimeoutMs = options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
    this.transport = new LineTransport(
      stream,
      "qmp",
      { onLine: (line) => this.onLine(line), onFailure: (error) => this.rejectAll(error) },
      options,
    );
  }

  /** Reads the greeting and leaves capability negotiation mode; then commands may be executed. */
  static async connect(stream: Duplex, options: QmpClientOptions = {}): Promise<QmpClient> {
    const client = new QmpClient(stream, options);
    client.greetingValue = (await client.expect(GREETING_KEY, "greeting")) as QmpGreeting;
    await client.execute("qmp_capabilities");
    return client;
  }

  get greeting(): QmpGreeting {
    return this.greetingValue as QmpGreeting;
  }

  get isOpen(): boolean {
    return this.transport.isOpen;
  }

  /** Runs `command`; resolves with its `return` value or rejects with QmpError. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
    if (typeof command !== "string" || command.length === 0) {
      return Promise.reject(new InvalidArgumentError("command", "must be a non-empty string", command));
    }
    const id = `bplab-${this.nextId++}`;
    const message = args === undefined ? { execute: command, id } : { execute: command, arguments: args, id };
    const reply = this.expect(id, command);
    try {
      this.transport.send(`${JSON.stringify(message)}\n`);
    } catch (error) {
      this.settle(id)?.reject(error as Error);
    }
    return reply as Promise<T>;
  }

  /**
   * Resolves with the first event called `name`: a stashed one (removed from the stash) or the next
   * to arrive. `timeoutMs` (default: the reply time-out) bounds the wait.
   */
  waitEvent(name: string, timeoutMs = this.replyTimeoutMs): Promise<QmpEvent> {
    const index = this.stashed.findIndex((event) => event.event === name);
    if (index !== -1) return Promise.resolve(this.stashed.splice(index, 1)[0] as QmpEvent);
    if (!this.transport.isOpen) return Promise.reject(this.transport.closedError());
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              this.waiters.delete(waiter);
              reject(new ReplyTimeoutError("qmp", `event ${name}`, timeoutMs));
            }, timeoutMs)
          : undefined;
      const waiter: EventWaiter = { name, resolve, reject, timer };
      this.waiters.add(waiter);
    });
  }

  /** Events received and not yet taken by waitEvent. */
  events(): readonly QmpEvent[] {
    return [...this.stashed];
  }

  clearEvents(): void {
    this.stashed.length = 0;
  }

  close(): void {
    this.transport.close();
  }

  /** Ends the connection with `error` (used by the launcher when QEMU exits). */
  fail(error: Error): void {
    this.transport.fail(error);
  }

  private expect(key: string, command: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (!this.transport.isOpen) {
        reject(this.transport.closedError());
        return;
      }
      const timer =
        this.replyTimeoutMs > 0
          ? setTimeout(
              () => this.transport.fail(new ReplyTimeoutError("qmp", command, this.replyTimeoutMs)),
              this.replyTimeoutMs,
            )
          : undefined;
      this.pending.set(key, { command, resolve, reject, timer });
    });
  }

  private settle(key: string): PendingCommand | undefined {
    const entry = this.pending.get(key);
    if (entry) {
      this.pending.delete(key);
      clearTimeout(entry.timer);
    }
    return entry;
  }

  private onLine(raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new QmpProtocolError("not JSON", line);
    }
    if (message === null || typeof message !== "object" || Array.isArray(message)) {
      throw new QmpProtocolError("not a JSON object", line);
    }
    if ("QMP" in message) {
      const entry = this.settle(GREETING_KEY);
      if (!entry) throw new QmpProtocolError("unexpected greeting", line);
      entry.resolve(message.QMP);
    } else if (typeof message.event === "string") {
      this.onEvent(message);
    } else if ("return" in message || "error" in message) {
      this.onReply(message, line);
    } else {
      throw new QmpProtocolError("neither a reply nor an event", line);
    }
  }

  private onReply(message: Record<string, unknown>, line: string): void {
    const id = typeof message.id === "string" ? message.id : undefined;
    const entry = id === undefined ? undefined : this.settle(id);
    if (!entry) throw new QmpProtocolError("reply with an unknown id", line);
    if ("return" in message) {
      entry.resolve(message.return);
      return;
    }
    const error = (message.error ?? {}) as { class?: unknown; desc?: unknown };
    entry.reject(new QmpError(entry.command, String(error.class ?? "unknown"), String(error.desc ?? "")));
  }

  private onEvent(message: Record<string, unknown>): void {
    const event: QmpEvent = {
      event: message.event as string,
      data: message.data as Record<string, unknown> | undefined,
      timestamp: message.timestamp as QmpEvent["timestamp"],
    };
    for (const waiter of this.waiters) {
      if (waiter.name !== event.event) continue;
      this.waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(event);
      return;
    }
    this.stashed.push(event);
  }

  private rejectAll(error: Error): void {
    for (const key of [...this.pending.keys()]) this.settle(key)?.reject(error);
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.waiters.clear();
  }
}
