import { describe, expect, it } from "vitest";
import { GuestOutputError, GuestProtocolError } from "../src/errors.js";
import {
  commandOutcome,
  parseSerialOutput,
  requireBlob,
  requireResult,
  SerialReportParser,
} from "../src/serial-protocol.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

describe("parseSerialOutput", () => {
  it("collects results, blobs and the end status, ignoring kernel lines and CRs", () => {
    const serial = [
      "[    5.1] random: crng init done",
      "BPLAB-RESULT boot.ready_s=6.25\r",
      `BPLAB-BLOB id.stdout ${b64("nvme version 2.3\n")}`,
      "BPLAB-BLOB-END id.stdout bytes=17",
      "BPLAB-BLOB-END id.stderr bytes=0",
      "BPLAB-RESULT id.exit=0",
      "BPLAB-RESULT note=has = and spaces",
      "  BPLAB-RESULT indented=ignored",
      "BPLAB-DONE status=0",
      "[    6.7] reboot: Power down",
    ].join("\n");
    const report = parseSerialOutput(serial);
    expect([...report.results]).toEqual([
      ["boot.ready_s", "6.25"],
      ["id.exit", "0"],
      ["note", "has = and spaces"],
    ]);
    expect(report.doneStatus).toBe(0);
    expect(commandOutcome(report, "id")).toEqual({ exit: 0, stdout: "nvme version 2.3\n", stderr: "" });
  });

  it("joins a blob's chunks in order", () => {
    const data = new Uint8Array(300).map((_, i) => (i * 7) % 256);
    const encoded = Buffer.from(data).toString("base64");
    const chunks = encoded.match(/.{1,76}/g) ?? [];
    const report = parseSerialOutput(
      [...chunks.map((chunk) => `BPLAB-BLOB raw ${chunk}`), "BPLAB-BLOB-END raw bytes=300"].join("\n"),
    );
    expect(requireBlob(report, "raw")).toEqual(data);
  });

  it("detects a garbled or truncated blob", () => {
    const parser = new SerialReportParser();
    parser.push(`BPLAB-BLOB x ${b64("abcdef")}`);
    expect(() => parser.push("BPLAB-BLOB-END x bytes=7")).toThrow(/decodes to 6 bytes, not 7/);
    expect(() => new SerialReportParser().push("BPLAB-BLOB x [ 5.0] nvme0: ok")).toThrow(/must be base64/);
  });

  it("rejects bad names, duplicates and malformed numbers", () => {
    const parser = new SerialReportParser();
    expect(() => parser.push("BPLAB-RESULT =1")).toThrow(GuestProtocolError);
    expect(() => parser.push("BPLAB-RESULT a b=1")).toThrow(/name must match/);
    parser.push("BPLAB-RESULT a=1");
    expect(() => parser.push("BPLAB-RESULT a=2")).toThrow(/reported twice/);
    expect(() => parser.push("BPLAB-DONE status=x")).toThrow(/status must be a decimal number/);
    expect(() => parser.push("BPLAB-BLOB-END y bytes=")).toThrow(/bytes must be a decimal number/);
    expect(parser.push("BPLAB-OTHER a=1")).toBe(false);
  });

  it("names what the guest did not report", () => {
    const report = parseSerialOutput("BPLAB-RESULT x.exit=1");
    expect(report.doneStatus).toBeUndefined();
    expect(() => requireResult(report, "y")).toThrow(GuestOutputError);
    expect(() => commandOutcome(report, "x")).toThrow(/guest output "x.stdout": the guest did not report/);
    expect(() => commandOutcome(parseSerialOutput("BPLAB-RESULT z.exit=-"), "z")).toThrow(
      /not an exit status/,
    );
  });
});
