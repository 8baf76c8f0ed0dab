// Parser and formatter unit tests: recorded qtest lines in, typed results out, one behaviour each.
// The reply lines below were recorded from QEMU 7.2 (Debian) driven over -qtest stdio.
import { describe, expect, it, vi } from "vitest";
import { QtestProtocolError, QtestRequestError } from "../src/errors.js";
import { LineSplitter } from "../src/line-transport.js";
import {
  formatRequest,
  IrqLevels,
  parseBase64Bytes,
  parseDecimalValue,
  parseHexBytes,
  parseHexValue,
  parseReplyLine,
} from "../src/qtest/protocol.js";

describe("formatRequest", () => {
  it("writes numbers as 0x hex, one space between tokens and a single \\n", () => {
    expect(
      formatRequest("outl", [
        ["port", 0xcf8],
        ["value", 0x8000_2000],
      ]),
    ).toBe("outl 0xcf8 0x80002000\n");
  });

  it("writes zero as 0x0 (never a bare 0, which QEMU would read as octal context)", () => {
    expect(formatRequest("readl", [["addr", 0]])).toBe("readl 0x0\n");
  });

  it("keeps bigints above 2^53 exact", () => {
    expect(
      formatRequest("writeq", [
        ["addr", 0x1000n],
        ["value", 0xffff_ffff_ffff_fffen],
      ]),
    ).toBe("writeq 0x1000 0xfffffffffffffffe\n");
  });

  it("writes a command without arguments as the bare name", () => {
    expect(formatRequest("endianness")).toBe("endianness\n");
  });

  it("passes word tokens through unchanged", () => {
    expect(formatRequest("irq_intercept_in", [["qomPath", "/machine/ioapic"]])).toBe(
      "irq_intercept_in /machine/ioapic\n",
    );
  });

  it("rejects a negative number, naming the field", () => {
    const error = catchError(() => formatRequest("readl", [["addr", -1]]));
    expect(error).toBeInstanceOf(QtestRequestError);
    expect(error).toMatchObject({ code: "QTEST_INVALID_REQUEST", command: "readl", field: "addr" });
  });

  it("rejects a number above 2^64-1", () => {
    expect(() => formatRequest("readq", [["addr", 1n << 64n]])).toThrow(/addr must be within 0..2\^64-1/);
  });

  it("rejects a fractional number", () => {
    expect(() => formatRequest("readb", [["addr", 1.5]])).toThrow(QtestRequestError);
  });

  it("rejects a number beyond Number.MAX_SAFE_INTEGER", () => {
    expect(() => formatRequest("readb", [["addr", 2 ** 60]])).toThrow(/must be a safe integer/);
  });

  it("rejects a word containing a space (QEMU would split it into two tokens)", () => {
    expect(() => formatRequest("irq_intercept_in", [["qomPath", "/machine/a b"]])).toThrow(/qomPath/);
  });

  it("rejects an empty word (two spaces in a row abort QEMU)", () => {
    expect(() => formatRequest("set_irq_in", [["name", ""]])).toThrow(QtestRequestError);
  });

  it("rejects a word ending in \\r", () => {
    expect(() => formatRequest("irq_intercept_out", [["qomPath", "/machine\r"]])).toThrow(QtestRequestError);
  });

  it("rejects a command name with a space or capitals", () => {
    expect(() => formatRequest("readl ")).toThrow(/command/);
    expect(() => formatRequest("Readl")).toThrow(/command/);
  });
});

describe("parseReplyLine", () => {
  it("reads a bare OK", () => {
    expect(parseReplyLine("OK")).toEqual({ kind: "ok", payload: undefined });
  });

  it("reads OK with a value", () => {
    expect(parseReplyLine("OK 0x000000000f0107ff")).toEqual({ kind: "ok", payload: "0x000000000f0107ff" });
  });

  it("reads FAIL with its reason", () => {
    expect(parseReplyLine("FAIL Unknown command 'clock_step'")).toEqual({
      kind: "fail",
      reason: "Unknown command 'clock_step'",
    });
  });

  it("reads ERR with its reason", () => {
    expect(parseReplyLine("ERR invalid argument size")).toEqual({
      kind: "err",
      reason: "invalid argument size",
    });
  });

  it("reads IRQ raise", () => {
    expect(parseReplyLine("IRQ raise 4")).toEqual({ kind: "irq", level: "raise", line: 4 });
  });

  it("reads IRQ lower", () => {
    expect(parseReplyLine("IRQ lower 12")).toEqual({ kind: "irq", level: "lower", line: 12 });
  });

  it.each(["HELLO", "ok", "OKAY", "IRQ raise x", "IRQ up 3", "", " OK"])(
    "rejects %j as a protocol error",
    (line) => {
      expect(() => parseReplyLine(line)).toThrow(QtestProtocolError);
    },
  );
});

describe("value parsers", () => {
  it("parses an inl reply", () => {
    expect(parseHexValue("0x29c08086")).toBe(0x29c0_8086n);
  });

  it("parses a readq reply with all 64 bits", () => {
    expect(parseHexValue("0xffffffffffffffff")).toBe((1n << 64n) - 1n);
  });

  it("rejects a hex value without 0x", () => {
    expect(() => parseHexValue("29c08086")).toThrow(QtestProtocolError);
  });

  it("rejects a missing value", () => {
    expect(() => parseHexValue(undefined)).toThrow(/expected a hex value after OK/);
  });

  it("parses a clock_step reply (decimal nanoseconds)", () => {
    expect(parseDecimalValue("1000")).toBe(1000n);
  });

  it("rejects a clock reply that is not decimal", () => {
    expect(() => parseDecimalValue("0x10")).toThrow(QtestProtocolError);
  });

  it("parses read's hex bytes into exactly those bytes", () => {
    expect([...parseHexBytes("0x00ff10ab", 4)]).toEqual([0x00, 0xff, 0x10, 0xab]);
  });

  it("rejects read's hex data of the wrong length", () => {
    expect(() => parseHexBytes("0x00ff", 4)).toThrow(/expected 4 bytes of hex data/);
  });

  it("parses b64read's payload into exactly those bytes", () => {
    expect([...parseBase64Bytes("AAECAw==", 4)]).toEqual([0, 1, 2, 3]);
  });

  it("parses a recorded 16-byte b64read of zeroed RAM", () => {
    expect(parseBase64Bytes("AAAAAAAAAAAAAAAAAAAAAA==", 16)).toEqual(new Uint8Array(16));
  });

  it("rejects base64 that decodes to another size", () => {
    expect(() => parseBase64Bytes("AAECAw==", 5)).toThrow(/expected 5 bytes of base64 data/);
  });

  it("rejects characters outside the base64 alphabet", () => {
    expect(() => parseBase64Bytes("AA!CAw==", 4)).toThrow(QtestProtocolError);
  });
});

describe("LineSplitter", () => {
  it("returns each complete line of one chunk", () => {
    expect(new LineSplitter().push(Buffer.from("OK\nOK 0x1\n"))).toEqual(["OK", "OK 0x1"]);
  });

  it("joins a line split across chunks", () => {
    const splitter = new LineSplitter();
    expect(splitter.push(Buffer.from("OK 0x00"))).toEqual([]);
    expect(splitter.push(Buffer.from("ff\nOK"))).toEqual(["OK 0x00ff"]);
    expect(splitter.pendingBytes).toBe(2);
  });

  it("keeps bytes above 0x7f as latin1 so a garbage line is reported, not mangled", () => {
    expect(new LineSplitter().push(Buffer.from([0xff, 0x0a]))).toEqual(["\u00ff"]);
  });
});

describe("IrqLevels", () => {
  it("reports a raised line until it is lowered", () => {
    const irq = new IrqLevels();
    irq.apply("raise", 4);
    expect(irq.isRaised(4)).toBe(true);
    irq.apply("lower", 4);
    expect(irq.isRaised(4)).toBe(false);
  });

  it("treats a line never reported as low", () => {
    expect(new IrqLevels().isRaised(9)).toBe(false);
  });

  it("notifies listeners until they unsubscribe", () => {
    const irq = new IrqLevels();
    const listener = vi.fn();
    const unsubscribe = irq.onChange(listener);
    irq.apply("raise", 1);
    unsubscribe();
    irq.apply("lower", 1);
    expect(listener).toHaveBeenCalledTimes(1);
    expect(listener).toHaveBeenCalledWith(1, true);
  });

  it("snapshots every reported line", () => {
    const irq = new IrqLevels();
    irq.apply("raise", 1);
    irq.apply("raise", 2);
    irq.apply("lower", 1);
    expect([...irq.snapshot()]).toEqual([
      [1, false],
      [2, true],
    ]);
  });
});

function catchError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}
