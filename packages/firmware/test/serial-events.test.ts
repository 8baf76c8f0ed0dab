import { describe, expect, it } from "vitest";
import { SerialProtocolError } from "../src/errors.js";
import {
  adminCommands,
  appExitStatus,
  cleanSerialLine,
  parseBpfwLine,
  SerialEventParser,
} from "../src/serial-events.js";

const ESC = String.fromCharCode(0x1b);

describe("the serial-log parser", () => {
  it("strips OVMF's terminal escapes and carriage returns", () => {
    expect(cleanSerialLine(`${ESC}[=3h${ESC}[0m BdsDxe: loading\r`)).toBe(" BdsDxe: loading");
  });

  it("parses BPFW lines into a name and key=value fields; malformed lines are protocol errors", () => {
    expect(parseBpfwLine("BPFW set-lock bpid=1 state=3 get=0x0A set=0x1B")).toEqual({
      shell: false,
      name: "set-lock",
      fields: { bpid: "1", state: "3", get: "0x0A", set: "0x1B" },
    });
    expect(() => parseBpfwLine("BPFW set-lock bpid")).toThrow(SerialProtocolError);
    expect(() => parseBpfwLine("BPFW Bad")).toThrow(SerialProtocolError);
  });

  it("classifies firmware, shell, kernel and guest lines with their time, and feeds the guest protocol", () => {
    const parser = new SerialEventParser();
    parser.push("BdsDxe: starting Boot0002", 1);
    parser.push(`${ESC}[0mUEFI Interactive Shell v2.2`, 2);
    parser.push("BPFW lock mode=upc", 3);
    parser.push("Linux version before the handover is not the kernel", 4);
    parser.push("BPFW-SHELL boot-kernel", 5);
    parser.push("[    0.000000] Linux version 6.1.0", 6);
    parser.push("BPLAB-RESULT boot.nvme0=present", 7);
    parser.push("BPLAB-DONE status=0", 8);
    expect(parser.events.map((e) => [e.kind, e.tMs])).toEqual([
      ["ovmf", 1],
      ["ovmf", 2],
      ["firmware", 3],
      ["shell", 5],
      ["kernel", 6],
      ["guest", 7],
      ["guest", 8],
    ]);
    expect(parser.guest.report().results.get("boot.nvme0")).toBe("present");
    expect(parser.guest.report().doneStatus).toBe(0);
  });

  it("joins each cmd line with its cpl line; a completion without its command is an error", () => {
    const parser = new SerialEventParser();
    parser.push(
      "BPFW cmd n=1 opc=0x0A cdw10=0x00000085 cdw11=0x00000000 cdw12=0x00000000 cdw13=0x00000000 len=0",
      0,
    );
    parser.push("BPFW cpl n=1 efi=0x8000000000000007 sct=1 sc=0x0E dw0=0x00000012", 0);
    expect(adminCommands(parser.events)).toEqual([
      {
        n: 1,
        opcode: 0x0a,
        cdw10: 0x85,
        cdw11: 0,
        cdw12: 0,
        cdw13: 0,
        length: 0,
        efiStatus: 0x8000000000000007n,
        sct: 1,
        sc: 0x0e,
        dw0: 0x12,
      },
    ]);
    parser.push("BPFW cpl n=2 efi=0x0 sct=0 sc=0x00 dw0=0x0", 0);
    expect(() => adminCommands(parser.events)).toThrow(SerialProtocolError);
  });
});

describe("the app's exit status", () => {
  const parse = (...lines: string[]) => {
    const parser = new SerialEventParser();
    for (const line of lines) parser.push(line, 0);
    return parser.events;
  };

  it("is the app's done line, else the shell's lasterror for a drop-in app, else unknown", () => {
    expect(
      appExitStatus(parse("BPFW done status=0x8000000000000002", "BPFW-SHELL app-exit status=0x2")),
    ).toBe(0x8000000000000002n);
    expect(appExitStatus(parse("BPFW-SHELL app-exit status=0x0"))).toBe(0n);
    expect(appExitStatus(parse("BdsDxe: starting"))).toBeUndefined();
  });

  it("refuses a status that is not 0x + hex (hostile serial input)", () => {
    expect(() => appExitStatus(parse("BPFW-SHELL app-exit status=12; rm"))).toThrow(SerialProtocolError);
    expect(() => appExitStatus(parse("BPFW done status=0x11112222333344445"))).toThrow(SerialProtocolError);
  });
});
