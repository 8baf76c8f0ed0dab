/**
 * Typed errors of @bplab/qtest. Every error carries a stable `code` so callers (the CLI, the
 * scenario runner, tests) can branch on what went wrong without parsing messages.
 */

import { CodedError } from "@bplab/node-kit";

export type QtestErrorCode =
  | "QTEST_INVALID_REQUEST"
  | "QTEST_COMMAND_FAILED"
  | "QTEST_PROTOCOL"
  | "REPLY_TIMEOUT"
  | "CONNECTION_CLOSED"
  | "QMP_ERROR"
  | "QMP_PROTOCOL"
  | "QEMU_NOT_FOUND"
  | "QEMU_EXITED"
  | "CONNECT_TIMEOUT"
  | "INVALID_ARGUMENT"
  | "GUEST_OUT_OF_MEMORY"
  | "GUEST_MEMORY_RANGE"
  | "PCI_DEVICE_NOT_FOUND"
  | "PCI_BAR";

export class QtestLabError extends CodedError<QtestErrorCode> {}

/** Bad input that names the field at fault and the rule it broke. */
abstract class FieldRuleError extends QtestLabError {
  readonly field: string;
  readonly rule: string;

  constructor(code: QtestErrorCode, field: string, rule: string, got: unknown) {
    super(code, `${field} ${rule} (got ${describe(got)})`);
    this.field = field;
    this.rule = rule;
  }
}

/** Bad input to a public function: names the field and the rule it broke. */
export class InvalidArgumentError extends FieldRuleError {
  constructor(field: string, rule: string, got: unknown) {
    super("INVALID_ARGUMENT", field, rule, got);
  }
}

/**
 * A qtest request that QEMU would mis-parse or abort on. Raised before anything is written to the
 * socket: a malformed line can kill QEMU with an assertion (two spaces, a `\r`, size 0 ...).
 */
export class QtestRequestError extends QtestLabError {
  readonly command: string;
  readonly field: string;
  readonly rule: string;

  constructor(command: string, field: string, rule: string, got: unknown) {
    super("QTEST_INVALID_REQUEST", `qtest ${command}: ${field} ${rule} (got ${describe(got)})`);
    this.command = command;
    this.field = field;
    this.rule = rule;
  }
}

/** QEMU answered `FAIL ...` or `ERR ...` to a well-formed request. */
export class QtestCommandFailedError extends QtestLabError {
  readonly request: string;
  readonly reply: string;

  constructor(request: string, reply: string) {
    super("QTEST_COMMAND_FAILED", `qtest request "${abbreviate(request)}" failed: ${reply}`);
    this.request = request;
    this.reply = reply;
  }
}

/** QEMU sent something that is not a qtest reply: the stream can no longer be trusted. */
export class QtestProtocolError extends QtestLabError {
  readonly line: string;

  constructor(message: string, line: string) {
    super("QTEST_PROTOCOL", `${message}: ${JSON.stringify(abbreviate(line))}`);
    this.line = line;
  }
}

/** No reply within the configured time. The connection is closed, because a late reply would be
 * taken as the answer to the next request. */
export class ReplyTimeoutError extends QtestLabError {
  readonly request: string;
  readonly timeoutMs: number;

  constructor(protocol: "qtest" | "qmp", request: string, timeoutMs: number) {
    super(
      "REPLY_TIMEOUT",
      `${protocol} request "${abbreviate(request)}" got no reply within ${timeoutMs} ms`,
    );
    this.request = request;
    this.timeoutMs = timeoutMs;
  }
}

/** The connection is closed (by us, by QEMU, or after a fatal protocol error). */
export class ConnectionClosedError extends QtestLabError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONNECTION_CLOSED", message, options);
  }
}

/** QMP answered `{"error": {...}}`. */
export class QmpError extends QtestLabError {
  readonly command: string;
  readonly errorClass: string;
  readonly desc: string;

  constructor(command: string, errorClass: string, desc: string) {
    super("QMP_ERROR", `QMP ${command} failed: ${errorClass}: ${desc}`);
    this.command = command;
    this.errorClass = errorClass;
    this.desc = desc;
  }
}

/** QMP sent something that is not a QMP message. */
export class QmpProtocolError extends QtestLabError {
  readonly line: string;

  constructor(message: string, line: string) {
    super("QMP_PROTOCOL", `${message}: ${JSON.stringify(abbreviate(line))}`);
    this.line = line;
  }
}

/** No QEMU binary could be found; the message says how to get one. */
export class QemuNotFoundError extends QtestLabError {
  readonly tried: readonly string[];
  readonly buildCommand: string;

  constructor(tried: readonly string[], buildCommand: string) {
    super(
      "QEMU_NOT_FOUND",
      `no QEMU binary found (tried: ${tried.join(", ") || "nothing"}). Build the patched QEMU with: ${buildCommand}` +
        " or set BPLAB_QEMU to a qemu-system-x86_64 binary",
    );
    this.tried = tried;
    this.buildCommand = buildCommand;
  }
}

/** QEMU exited (crash, bad command line, killed) while we still needed it. */
export class QemuExitedError extends QtestLabError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: string;

  constructor(exitCode: number | null, signal: string | null, stderrTail: string) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    const tail = stderrTail.trim() ? `; last stderr lines:\n${stderrTail.trimEnd()}` : "; stderr was empty";
    super("QEMU_EXITED", `QEMU ${how}${tail}`);
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }
}

/** QEMU did not connect to our qtest/QMP sockets in time. */
export class ConnectTimeoutError extends QtestLabError {
  readonly timeoutMs: number;

  constructor(what: string, timeoutMs: number, stderrTail: string) {
    super(
      "CONNECT_TIMEOUT",
      `QEMU did not connect its ${what} socket within ${timeoutMs} ms` +
        (stderrTail.trim() ? `; last stderr lines:\n${stderrTail.trimEnd()}` : ""),
    );
    this.timeoutMs = timeoutMs;
  }
}

export class GuestOutOfMemoryError extends QtestLabError {
  constructor(size: number, align: number, freeBytes: number) {
    super(
      "GUEST_OUT_OF_MEMORY",
      `guest allocator cannot find ${size} contiguous bytes aligned to ${align} (${freeBytes} bytes free in total)`,
    );
  }
}

/**
 * A guest-memory access outside guest RAM: a negative address, one past the end of RAM, or one that
 * straddles a hole (the PCI hole below 4 GiB). `field` names the argument at fault.
 */
export class GuestMemoryRangeError extends FieldRuleError {
  constructor(field: string, rule: string, got: unknown) {
    super("GUEST_MEMORY_RANGE", field, rule, got);
  }
}

export class PciError extends QtestLabError {
  constructor(code: "PCI_DEVICE_NOT_FOUND" | "PCI_BAR", message: string) {
    super(code, message);
  }
}

const ABBREVIATE_AT = 120;

function abbreviate(text: string): string {
  return text.length <= ABBREVIATE_AT ? text : `${text.slice(0, ABBREVIATE_AT)}... (${text.length} chars)`;
}

function describe(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "string") return JSON.stringify(abbreviate(value));
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return String(value);
}
