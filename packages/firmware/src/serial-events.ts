/**
 * Turns the serial console of a firmware-lab boot into typed, timestamped events: OVMF's boot
 * manager and shell, the app's `BPFW <name> key=value...` lines, the startup.nsh markers, the
 * first line of the Linux kernel, and the guest's BPLAB-* protocol lines (parsed by @bplab/lab).
 */
import { SerialReportParser } from "@bplab/lab";
import { SerialProtocolError } from "./errors.js";

export type SerialEvent =
  | { readonly kind: "ovmf"; readonly tMs: number; readonly name: "boot-manager" | "shell" }
  | { readonly kind: "firmware"; readonly tMs: number; readonly name: string; readonly fields: FieldMap }
  | { readonly kind: "shell"; readonly tMs: number; readonly name: string; readonly fields: FieldMap }
  | { readonly kind: "kernel"; readonly tMs: number; readonly line: string }
  | { readonly kind: "guest"; readonly tMs: number; readonly line: string };

export type FieldMap = Readonly<Record<string, string>>;

/** One admin command the app sent and its completion (a `cmd` line and its `cpl` line). */
export interface AdminCommandRecord {
  readonly n: number;
  readonly opcode: number;
  readonly cdw10: number;
  readonly cdw11: number;
  readonly cdw12: number;
  readonly cdw13: number;
  readonly length: number;
  readonly efiStatus: bigint;
  readonly sct: number;
  readonly sc: number;
  readonly dw0: number;
}

// CSI sequences (OVMF's terminal driver sets modes and colours) and stray carriage returns.
const ANSI_PATTERN = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;?=]*[A-Za-z]`, "g");
const BPFW_PATTERN = /(BPFW(?:-SHELL)? .*)$/;
const NAME_PATTERN = /^[a-z][a-z0-9-]*$/;
const FIELD_PATTERN = /^([a-z][a-z0-9-]*)=(\S*)$/;
const GUEST_PATTERN = /^BPLAB-[A-Z-]+ /;

export function cleanSerialLine(raw: string): string {
  return raw.replace(ANSI_PATTERN, "").replace(/\r/g, "").trimEnd();
}

/** `BPFW name k=v ...` (or `BPFW-SHELL ...`) → name and fields; throws on a malformed line. */
export function parseBpfwLine(line: string): { shell: boolean; name: string; fields: FieldMap } {
  const [marker, name, ...rest] = line.split(" ").filter((word) => word !== "");
  if (!name || !NAME_PATTERN.test(name))
    throw new SerialProtocolError(line, "the event name must be lower-case words");
  const fields: Record<string, string> = {};
  for (const word of rest) {
    const match = FIELD_PATTERN.exec(word);
    if (!match) throw new SerialProtocolError(line, `"${word}" is not key=value`);
    fields[match[1] as string] = match[2] as string;
  }
  return { shell: marker === "BPFW-SHELL", name, fields };
}

/** A numeric field (decimal, or hex with 0x); throws when absent or not a number. */
export function numberField(fields: FieldMap, key: string, line = ""): number {
  const text = fields[key];
  if (text === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(text))
    throw new SerialProtocolError(line, `field ${key} must be a number (got ${text})`);
  return Number(text);
}

function bigField(fields: FieldMap, key: string): bigint {
  const text = fields[key];
  if (text === undefined || !/^0x[0-9a-f]+$/i.test(text))
    throw new SerialProtocolError(JSON.stringify(fields), `field ${key} must be hex`);
  return BigInt(text);
}

/** Feed it raw serial lines with their arrival time; keeps every event and the guest's report. */
export class SerialEventParser {
  readonly events: SerialEvent[] = [];
  readonly guest = new SerialReportParser();
  private kernelStarted = false;
  private bootManagerSeen = false;
  private shellSeen = false;

  push(raw: string, tMs: number): SerialEvent | undefined {
    const line = cleanSerialLine(raw);
    if (line === "") return undefined;
    const event = this.classify(line, tMs);
    if (event) this.events.push(event);
    return event;
  }

  private classify(line: string, tMs: number): SerialEvent | undefined {
    const bpfw = BPFW_PATTERN.exec(line)?.[1];
    if (bpfw) {
      const { shell, name, fields } = parseBpfwLine(bpfw);
      if (shell && name === "boot-kernel") this.kernelStarted = true;
      return { kind: shell ? "shell" : "firmware", tMs, name, fields };
    }
    if (GUEST_PATTERN.test(line)) {
      this.guest.push(line);
      return { kind: "guest", tMs, line };
    }
    if (!this.bootManagerSeen && line.includes("BdsDxe")) {
      this.bootManagerSeen = true;
      return { kind: "ovmf", tMs, name: "boot-manager" };
    }
    if (!this.shellSeen && line.includes("UEFI Interactive Shell")) {
      this.shellSeen = true;
      return { kind: "ovmf", tMs, name: "shell" };
    }
    if (this.kernelStarted) return { kind: "kernel", tMs, line };
    return undefined;
  }
}

/** The app's admin commands in order, each `cmd` line joined with its `cpl` line. */
export function adminCommands(events: readonly SerialEvent[]): AdminCommandRecord[] {
  const pending = new Map<number, FieldMap>();
  const records: AdminCommandRecord[] = [];
  for (const event of events) {
    if (event.kind !== "firmware") continue;
    if (event.name === "cmd") pending.set(numberField(event.fields, "n"), event.fields);
    if (event.name !== "cpl") continue;
    const n = numberField(event.fields, "n");
    const cmd = pending.get(n);
    if (!cmd)
      throw new SerialProtocolError(JSON.stringify(event.fields), `completion ${n} without its command`);
    pending.delete(n);
    records.push({
      n,
      opcode: numberField(cmd, "opc"),
      cdw10: numberField(cmd, "cdw10"),
      cdw11: numberField(cmd, "cdw11"),
      cdw12: numberField(cmd, "cdw12"),
      cdw13: numberField(cmd, "cdw13"),
      length: numberField(cmd, "len"),
      efiStatus: bigField(event.fields, "efi"),
      sct: numberField(event.fields, "sct"),
      sc: numberField(event.fields, "sc"),
      dw0: numberField(event.fields, "dw0"),
    });
  }
  return records;
}

/** The fields of the first firmware event `name` (optionally matching `where`). */
export function firmwareEvent(
  events: readonly SerialEvent[],
  name: string,
  where: (fields: FieldMap) => boolean = () => true,
): FieldMap | undefined {
  for (const event of events)
    if (event.kind === "firmware" && event.name === name && where(event.fields)) return event.fields;
  return undefined;
}

/** An EFI status printed as 0x... (64 bits); anything else is a protocol error. */
function statusField(fields: FieldMap): bigint {
  const text = fields.status ?? "";
  if (!/^0x[0-9a-f]{1,16}$/i.test(text))
    throw new SerialProtocolError(`status=${text}`, "an EFI status must be 0x + 1..16 hex digits");
  return BigInt(text);
}

/**
 * The app's exit status: its last `done` line, or for a drop-in app that prints no BPFW lines the
 * shell's %lasterror% (which lacks the EFI error bit); undefined when the app never returned.
 */
export function appExitStatus(events: readonly SerialEvent[]): bigint | undefined {
  const done = [...events].reverse().find((e) => e.kind === "firmware" && e.name === "done");
  if (done?.kind === "firmware") return statusField(done.fields);
  const shellExit = events.find((e) => e.kind === "shell" && e.name === "app-exit");
  return shellExit?.kind === "shell" ? statusField(shellExit.fields) : undefined;
}
