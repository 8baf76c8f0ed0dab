/**
 * A newline-framed text connection over a socket, shared by the qtest and QMP clients. It owns the
 * stream's life: the first failure (protocol error, time-out, QEMU gone, close by us) is recorded
 * once, the stream is destroyed, and the owner rejects whatever it still waits for.
 */
import type { Duplex } from "node:stream";
import { ConnectionClosedError } from "./errors.js";

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into `\n`-terminated lines. Keeps the unfinished tail in chunks so a
 * multi-megabyte b64read reply is joined once, not re-copied for every socket read.
 */
export class LineSplitter {
  private partial: Buffer[] = [];

  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE, start)) {
      this.partial.push(chunk.subarray(start, at));
      lines.push(Buffer.concat(this.partial).toString("latin1"));
      this.partial = [];
      start = at + 1;
    }
    if (start < chunk.length) this.partial.push(chunk.subarray(start));
    return lines;
  }

  /** Bytes received after the last complete line. */
  get pendingBytes(): number {
    return this.partial.reduce((sum, part) => sum + part.length, 0);
  }
}

export type TraceDirection = "tx" | "rx";
export type TraceListener = (protocol: string, direction: TraceDirection, line: string) => void;

export interface LineTransportOptions {
  /**
   * Called when the peer closes the stream without us asking. The error it resolves to rejects the
   * pending requests: the launcher waits for QEMU's exit here and returns an error with the tail
   * of its stderr, which says far more than "socket closed".
   */
  onUnexpectedClose?: () => Promise<Error | undefined>;
  trace?: TraceListener;
}

export interface LineTransportHandlers {
  onLine(line: string): void;
  onFailure(error: Error): void;
}

export class LineTransport {
  private readonly splitter = new LineSplitter();
  private failed: Error | undefined;
  private peerClosed = false;

  constructor(
    private readonly stream: Duplex,
    readonly protocol: string,
    private readonly handlers: LineTransportHandlers,
    private readonly options: LineTransportOptions = {},
  ) {
    stream.on("data", (chunk: Buffer) => this.receive(chunk));
    // "error" is always followed by "close"; the close path reports it.
    stream.on("error", () => undefined);
    stream.on("close", () => void this.onStreamClosed());
  }

  /** The error that ended this connection, if it has ended. */
  get failure(): Error | undefined {
    return this.failed;
  }

  /** True while requests can still be sent. */
  get isOpen(): boolean {
    return this.failed === undefined && !this.peerClosed;
  }

  /** The error to give a request made after the connection ended. */
  closedError(): ConnectionClosedError {
    const why = this.failed ? `: ${this.failed.message}` : "";
    return new ConnectionClosedError(`${this.protocol} connection is closed${why}`, { cause: this.failed });
  }

  send(text: string): void {
    if (!this.isOpen) throw this.closedError();
    this.trace("tx", text.endsWith("\n") ? text.slice(0, -1) : text);
    this.stream.write(text);
  }

  /** Ends the connection with `error` (once; later calls are ignored). */
  fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    this.stream.destroy();
    this.handlers.onFailure(error);
  }

  close(): void {
    this.fail(new ConnectionClosedError(`${this.protocol} connection closed by the client`));
  }

  private receive(chunk: Buffer): void {
    if (this.failed) return;
    for (const line of this.splitter.push(chunk)) {
      if (this.failed) return;
      this.trace("rx", line);
      try {
        this.handlers.onLine(line);
      } catch (error) {
        this.fail(error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  private async onStreamClosed(): Promise<void> {
    if (this.failed) return;
    this.peerClosed = true;
    const reason = await this.options.onUnexpectedClose?.().catch((error: unknown) => error as Error);
    this.fail(reason ?? new ConnectionClosedError(`QEMU closed the ${this.protocol} socket`));
  }

  private trace(direction: TraceDirection, line: string): void {
    this.options.trace?.(this.protocol, direction, line);
  }
}
