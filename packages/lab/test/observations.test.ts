// The observations guest.test.ts compares across device targets: they must keep what nvme-cli saw
// of the device (statuses, FID 85h values, read-back hashes, headers) and drop what differs by
// design, so a device that answers differently is caught and one that only has another serial is not.
import { describe, expect, it } from "vitest";
import { parseSerialOutput } from "../src/serial-protocol.js";
import { nvmeObservations } from "./helpers/observations.js";

function blob(name: string, text: string): string[] {
  const bytes = Buffer.from(text);
  return [`BPLAB-BLOB ${name} ${bytes.toString("base64")}`, `BPLAB-BLOB-END ${name} bytes=${bytes.length}`];
}

function report(options: {
  lock: string;
  commitStatus: string;
  sha: string;
  uptime: string;
  serial: string;
}) {
  return parseSerialOutput(
    [
      `BPLAB-RESULT boot.ready_s=${options.uptime}`,
      "BPLAB-RESULT lock.poweron.exit=0",
      ...blob("lock.poweron.stdout", `get-feature:0x85 (Unknown), Current value:${options.lock}\n`),
      ...blob("lock.poweron.stderr", ""),
      "BPLAB-RESULT locked.commit.exit=1",
      ...blob("locked.commit.stdout", ""),
      ...blob(
        "locked.commit.stderr",
        `NVMe status: Boot Partition Write Prohibited: ...(${options.commitStatus})\n`,
      ),
      "BPLAB-RESULT version.exit=0",
      ...blob("version.stdout", `nvme version 2.3 serial ${options.serial}\n`),
      ...blob("version.stderr", ""),
      `BPLAB-RESULT getlog1.sha=${options.sha}`,
      ...blob("getlog1.header", "\u0015\u0000\u0000\u0000"),
      "BPLAB-DONE status=0",
    ].join("\n"),
  );
}

const base = { lock: "0x00000012", commitStatus: "0x411e", sha: "ab12", uptime: "9.5", serial: "one" };

describe("nvmeObservations", () => {
  it("keeps exit and NVMe statuses, FID 85h values, hashes and headers; drops timings and other output", () => {
    expect(nvmeObservations(report(base))).toEqual({
      "getlog1.header": "15000000",
      "getlog1.sha": "ab12",
      "lock.poweron.exit": 0,
      "lock.poweron.value": 0x12,
      "locked.commit.exit": 1,
      "locked.commit.status": "0x411e",
      "version.exit": 0,
    });
    expect(nvmeObservations(report({ ...base, uptime: "31.0", serial: "two" }))).toEqual(
      nvmeObservations(report(base)),
    );
  });

  it("differs when the device answers differently: another lock value, status or read-back", () => {
    const reference = nvmeObservations(report(base));
    for (const change of [{ lock: "0x00000002" }, { commitStatus: "0x410e" }, { sha: "cd34" }]) {
      expect(nvmeObservations(report({ ...base, ...change }))).not.toEqual(reference);
    }
  });
});
