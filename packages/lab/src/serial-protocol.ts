/**
 * Parses what the guest prints on its serial console into named results and byte strings (the
 * line protocol is described in guest-init.ts). Lines that are not protocol lines (kernel
 * messages, script chatter) are kept apart so a failure can show them.
 */
import { GuestOutputError, GuestProtocolError } from "./errors.js";
import { RESULT_NAME_PATTERN, SerialMarker } from "./guest-init.js";

export interface GuestReport {
  readonly results: ReadonlyMap<string, string>;
  readonly blobs: ReadonlyMap<string, Uint8Array>;
  /** The script's exit status from the end line; undefined when the guest never got there. */
  readonly doneStatus: number | undefined;
}

/** What `bplab_run NAME ...` reported: the exit status and both output streams as text. */
export interface CommandOutcome {
  readonly exit: number;
  readonly stdout: string;
  readonly stderr: string;
}

const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

function checkName(line: string, name: string | undefined): string {
  if (!name || !RESULT_NAME_PATTERN.test(name)) {
    throw new GuestProtocolError(line, `a name must match ${RESULT_NAME_PATTERN}`);
  }
  return name;
}

function parseCount(line: string, text: string | undefined, field: string): number {
  if (text === undefined || !/^\d+$/.test(text.trim())) {
    throw new GuestProtocolError(line, `${field} must be a decimal number`);
  }
  return Number(text.trim());
}

/** Feed it serial lines as they arrive; `report()` gives what has been parsed so far. */
export class SerialReportParser {
  private readonly results = new Map<string, string>();
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly pendingBlobs = new Map<string, string[]>();
  private doneStatus: number | undefined;

  /** Parses one line (without its newline); returns true when it was a protocol line. */
  push(rawLine: string): boolean {
    const line = rawLine.replace(/\r+$/, "");
    const [marker, ...rest] = line.split(" ");
    switch (marker) {
      case SerialMarker.Result:
        this.result(line, rest.join(" "));
        return true;
      case SerialMarker.Blob:
        this.blobChunk(line, rest);
        return true;
      case SerialMarker.BlobEnd:
        this.blobEnd(line, rest);
        return true;
      case SerialMarker.Done:
        this.doneStatus = parseCount(line, /^status=(.*)$/.exec(rest.join(" "))?.[1], "status");
        return true;
      default:
        return false;
    }
  }

  report(): GuestReport {
    return { results: new Map(this.results), blobs: new Map(this.blobs), doneStatus: this.doneStatus };
  }

  private result(line: string, body: string): void {
    const equals = body.indexOf("=");
    const name = checkName(line, equals > 0 ? body.slice(0, equals) : undefined);
    if (this.results.has(name)) throw new GuestProtocolError(line, `result ${name} was reported twice`);
    this.results.set(name, body.slice(equals + 1));
  }

  private blobChunk(line: string, parts: readonly string[]): void {
    const name = checkName(line, parts[0]);
    const chunk = parts.slice(1).join("");
    if (!BASE64_PATTERN.test(chunk)) throw new GuestProtocolError(line, "a blob chunk must be base64");
    if (this.blobs.has(name)) throw new GuestProtocolError(line, `blob ${name} was reported twice`);
    const chunks = this.pendingBlobs.get(name) ?? [];
    chunks.push(chunk);
    this.pendingBlobs.set(name, chunks);
  }

  private blobEnd(line: string, parts: readonly string[]): void {
    const name = checkName(line, parts[0]);
    const bytes = parseCount(line, /^bytes=(.*)$/.exec(parts.slice(1).join(" "))?.[1], "bytes");
    if (this.blobs.has(name)) throw new GuestProtocolError(line, `blob ${name} was reported twice`);
    const data = new Uint8Array(Buffer.from((this.pendingBlobs.get(name) ?? []).join(""), "base64"));
    this.pendingBlobs.delete(name);
    if (data.length !== bytes) {
      throw new GuestProtocolError(line, `blob ${name} decodes to ${data.length} bytes, not ${bytes}`);
    }
    this.blobs.set(name, data);
  }
}

export function parseSerialOutput(text: string): GuestReport {
  const parser = new SerialReportParser();
  for (const line of text.split("\n")) parser.push(line);
  return parser.report();
}

export function requireResult(report: GuestReport, name: string): string {
  const value = report.results.get(name);
  if (value === undefined) throw new GuestOutputError(name, "the guest did not report this result");
  return value;
}

export function requireBlob(report: GuestReport, name: string): Uint8Array {
  const blob = report.blobs.get(name);
  if (blob === undefined) throw new GuestOutputError(name, "the guest did not report this blob");
  return blob;
}

export function commandOutcome(report: GuestReport, name: string): CommandOutcome {
  const exit = requireResult(report, `${name}.exit`);
  if (!/^\d+$/.test(exit)) throw new GuestOutputError(`${name}.exit`, `not an exit status: ${exit}`);
  const text = (stream: string) => new TextDecoder().decode(requireBlob(report, `${name}.${stream}`));
  return { exit: Number(exit), stdout: text("stdout"), stderr: text("stderr") };
}
