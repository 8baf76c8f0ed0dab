/**
 * The qtest wire protocol: ASCII lines, one request in, one reply out, in order.
 *
 * QEMU splits a request on single spaces and asserts on numbers it cannot parse, so a request with
 * two spaces, a trailing `\r` or an empty token aborts QEMU (research notes §C2). Every request is
 * therefore built here from typed arguments and checked before a byte is written: a bad request is
 * a QtestRequestError in TypeScript, never a dead QEMU.
 *
 * Replies are `OK[ payload]`, `FAIL reason` or `ERR reason`. Once interrupts are intercepted QEMU
 * may put `IRQ raise N` / `IRQ lower N` lines before any reply; they go to an IrqLevels table and
 * never consume a pending request.
 */
import type { Duplex } from "node:stream";
import {
  QtestCommandFailedError,
  QtestProtocolError,
  QtestRequestError,
  ReplyTimeoutError,
} from "../errors.js";
import { LineTransport, type LineTransportOptions } from "../line-transport.js";

export const U64_MAX = (1n << 64n) - 1n;
const COMMAND_NAME = /^[a-z][a-z0-9_]*$/;
/** A word token: printable ASCII without space (QOM paths, IRQ names, base64, hex data). */
const WORD = /^[\x21-\x7e]+$/;

/** One named argument of a request; the name appears in the error when the value is bad. */
export type QtestArg = readonly [name: string, value: bigint | number | string];

/**
 * Formats one request line (with its `\n`). Numbers are written as `0x` hex because QEMU parses
 * with base 0, where a leading `0` would mean octal. Strings must be single non-empty words.
 */
export function formatRequest(command: string, args: readonly QtestArg[] = []): string {
  if (!COMMAND_NAME.test(command)) {
    throw new QtestRequestError(command, "command", "must be a lowercase qtest command name", command);
  }
  const tokens = [command];
  for (const [name, value] of args) tokens.push(formatToken(command, name, value));
  return `${tokens.join(" ")}\n`;
}

function formatToken(command: string, name: string, value: bigint | number | string): string {
  if (typeof value === "string") {
    if (!WORD.test(value)) {
      throw new QtestRequestError(command, name, "must be one non-empty word of printable ASCII", value);
    }
    return value;
  }
  if (typeof value === "number" && !Number.isSafeInteger(value)) {
    throw new QtestRequestError(command, name, "must be a safe integer", value);
  }
  const big = BigInt(value);
  if (big < 0n || big > U64_MAX) {
    throw new QtestRequestError(command, name, "must be within 0..2^64-1", value);
  }
  return `0x${big.toString(16)}`;
}

export type QtestReply =
  | { readonly kind: "ok"; readonly payload: string | undefined }
  | { readonly kind: "fail"; readonly reason: string }
  | { readonly kind: "err"; readonly reason: string }
  | { readonly kind: "irq"; readonly level: "raise" | "lower"; readonly line: number };

const IRQ_LINE = /^IRQ (raise|lower) (\d+)$/;

/** Parses one reply line (without its `\n`); anything that is not a qtest reply is a protocol error. */
export function parseReplyLine(line: string): QtestReply {
  if (line === "OK") return { kind: "ok", payload: undefined };
  if (line.startsWith("OK ")) return { kind: "ok", payload: line.slice(3) };
  if (line === "FAIL" || line.startsWith("FAIL ")) return { kind: "fail", reason: line.slice(5) };
  if (line === "ERR" || line.startsWith("ERR ")) return { kind: "err", reason: line.slice(4) };
  const irq = IRQ_LINE.exec(line);
  if (irq) return { kind: "irq", level: irq[1] as "raise" | "lower", line: Number(irq[2]) };
  throw new QtestProtocolError("not a qtest reply", line);
}

const HEX_NUMBER = /^0x[0-9a-fA-F]+$/;
const DECIMAL_NUMBER = /^-?\d+$/;
const HEX_BYTES = /^0x(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function requirePayload(payload: string | undefined, what: string): string {
  if (payload === undefined) throw new QtestProtocolError(`expected ${what} after OK`, "OK");
  return payload;
}

/** `OK 0x0000000012345678` (reads, in*) → the number. */
export function parseHexValue(payload: string | undefined): bigint {
  const text = requirePayload(payload, "a hex value");
  if (!HEX_NUMBER.test(text)) throw new QtestProtocolError("expected a hex value", `OK ${text}`);
  return BigInt(text);
}

/** `OK 1000` (clock_step, clock_set) → nanoseconds. */
export function parseDecimalValue(payload: string | undefined): bigint {
  const text = requirePayload(payload, "a decimal value");
  if (!DECIMAL_NUMBER.test(text)) throw new QtestProtocolError("expected a decimal value", `OK ${text}`);
  return BigInt(text);
}

/** `OK 0x00ff..` (the `read` command) → exactly `size` bytes. */
export function parseHexBytes(payload: string | undefined, size: number): Uint8Array {
  const text = requirePayload(payload, "hex data");
  if (!HEX_BYTES.test(text) || text.length !== 2 + size * 2) {
    throw new QtestProtocolError(`expected ${size} bytes of hex data`, `OK ${text}`);
  }
  return new Uint8Array(Buffer.from(text.slice(2), "hex"));
}

/** `OK <base64>` (the `b64read` command) → exactly `size` bytes. */
export function parseBase64Bytes(payload: string | undefined, size: number): Uint8Array {
  const text = requirePayload(payload, "base64 data");
  const bytes = BASE64.test(text) ? Buffer.from(text, "base64") : undefined;
  if (bytes === undefined || bytes.length !== size) {
    throw new QtestProtocolError(`expected ${size} bytes of base64 data`, `OK ${text}`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

export type IrqListener = (line: number, raised: boolean) => void;

/** The level of every interrupt line QEMU reported since interception started. */
export class IrqLevels {
  private readonly levels = new Map<number, boolean>();
  private readonly listeners = new Set<IrqListener>();

  apply(level: "raise" | "lower", line: number): void {
    const raised = level === "raise";
    this.levels.set(line, raised);
    for (const listener of this.listeners) listener(line, raised);
  }

  /** True while line `line` is raised; lines never reported are low. */
  isRaised(line: number): boolean {
    return this.levels.get(line) ?? false;
  }

  /** Every line reported so far with its current level. */
  snapshot(): ReadonlyMap<number, boolean> {
    return new Map(this.levels);
  }

  onChange(listener: IrqListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

interface PendingRequest {
  readonly request: string;
  readonly resolve: (payload: string | undefined) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface QtestConnectionOptions extends LineTransportOptions {
  /** Time-out for every reply, in ms; 0 disables it. A time-out closes the connection. */
  replyTimeoutMs?: number;
}

export const DEFAULT_REPLY_TIMEOUT_MS = 30_000;

/**
 * The reply FIFO over one qtest socket. Requests may be pipelined: QEMU answers in order, so the
 * n-th non-IRQ line answers the n-th request. Nothing here blocks: a request is a promise, and
 * the event loop stays free for whatever else lives in the process (the vfio-user server).
 */
export class QtestConnection {
  readonly irq = new IrqLevels();
  private readonly transport: LineTransport;
  private readonly pending: PendingRequest[] = [];
  private readonly replyTimeoutMs: number;

  constructor(stream: Duplex, options: QtestConnectionOptions = {}) {
    this.replyTimeoutMs = options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS;
    this.transport = new LineTransport(
      stream,
      "qtest",
      { onLine: (line) => this.onLine(line), onFailure: (error) => this.rejectAll(error) },
      options,
    );
  }

  get isOpen(): boolean {
    return this.transport.isOpen;
  }

  /** The error that ended the connection, if it ended. */
  get failure(): Error | undefined {
    return this.transport.failure;
  }

  /** Requests sent and not yet answered. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Sends a line made by formatRequest and resolves with the reply's payload (text after `OK `). */
  request(line: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      if (!this.transport.isOpen) {
        reject(this.transport.closedError());
        return;
      }
      const entry: PendingRequest = { request: line.trimEnd(), resolve, reject, timer: undefined };
      if (this.replyTimeoutMs > 0) {
        entry.timer = setTimeout(
          () => this.transport.fail(new ReplyTimeoutError("qtest", entry.request, this.replyTimeoutMs)),
          this.replyTimeoutMs,
        );
      }
      this.pending.push(entry);
      this.transport.send(line);
    });
  }

  /** Closes the socket; pending requests reject with ConnectionClosedError. */
  close(): void {
    this.transport.close();
  }

  /** Ends the connection with `error` (used by the launcher when QEMU exits). */
  fail(error: Error): void {
    this.transport.fail(error);
  }

  private onLine(line: string): void {
    const reply = parseReplyLine(line);
    if (reply.kind === "irq") {
      this.irq.apply(reply.level, reply.line);
      return;
    }
    const entry = this.pending.shift();
    if (!entry) throw new QtestProtocolError("reply without a pending request", line);
    clearTimeout(entry.timer);
    if (reply.kind === "ok") entry.resolve(reply.payload);
    else entry.reject(new QtestCommandFailedError(entry.request, line));
  }

  private rejectAll(error: Error): void {
    for (const entry of this.pending.splice(0)) {
      clearTimeout(entry.timer);
      entry.reject(error);
    }
  }
}
