import {
  buildFirmwareCommit,
  decodeCqe,
  encodeCqe,
  formatStatus,
  Status,
  toNvmeStatus,
} from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { Transcript, type TranscriptEntry } from "../src/driver/transcript.js";

describe("Transcript", () => {
  it("formats statuses as sct/sc the way the docs write them", () => {
    expect(formatStatus(Status.BootPartitionWriteProhibited)).toBe("1h/1Eh");
    expect(formatStatus(Status.Success)).toBe("0h/00h");
    expect(formatStatus(Status.InvalidField)).toBe("0h/02h");
  });

  it("records decoded commands and completions with sequence numbers and tells subscribers", () => {
    const transcript = new Transcript();
    const seen: TranscriptEntry[] = [];
    const unsubscribe = transcript.subscribe((e) => seen.push(e));
    transcript.command({ ...buildFirmwareCommit({ ca: 0b110, bpid: 1 }), cid: 4 });
    const cqe = decodeCqe(
      encodeCqe({
        dw0: 0,
        dw1: 0,
        sqhd: 1,
        sqid: 0,
        cid: 4,
        phase: 1,
        status: toNvmeStatus(Status.BootPartitionWriteProhibited),
      }),
    );
    transcript.completion(cqe);
    unsubscribe();
    transcript.note("after unsubscribe");
    expect(seen.map((e) => e.seq)).toEqual([0, 1]);
    expect(transcript.entries[1]).toMatchObject({ kind: "completion", cid: 4, status: "1h/1Eh" });
    const text = transcript.format();
    expect(text).toMatch(/^#0 → \[cid 4\] Firmware Commit .*BPID=1/m);
    expect(text).toMatch(/^#1 ← \[cid 4\] .*Boot Partition Write Prohibited/m);
    expect(text).toMatch(/^#2 · after unsubscribe$/m);
  });

  it("keeps only the last `limit` entries", () => {
    const transcript = new Transcript(2);
    for (const n of [1, 2, 3]) transcript.note(`n${n}`);
    expect(transcript.entries.map((e) => e.text)).toEqual(["n2", "n3"]);
  });

  it("describes nothing while nobody subscribes, and describes each entry once when entries are read (issue 13)", () => {
    const transcript = new Transcript();
    let fieldReads = 0;
    const sqe = new Proxy(
      { ...buildFirmwareCommit({ ca: 0b110, bpid: 1 }), cid: 7 },
      {
        get(target, key, receiver) {
          fieldReads++;
          return Reflect.get(target, key, receiver);
        },
      },
    );
    transcript.command(sqe);
    expect(fieldReads).toBe(0);
    expect(transcript.entries[0]).toMatchObject({ seq: 0, kind: "command", cid: 7 });
    expect(transcript.entries[0]?.text).toMatch(/^Firmware Commit .*BPID=1/);
    const afterFirstRead = fieldReads;
    expect(afterFirstRead).toBeGreaterThan(0);
    void transcript.entries;
    expect(fieldReads).toBe(afterFirstRead);
  });
});
