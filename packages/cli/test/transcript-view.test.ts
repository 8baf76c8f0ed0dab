import type { TranscriptEntry } from "@bplab/host";
import { AdminOpcode } from "@bplab/nvme-spec";
import { describe, expect, it } from "vitest";
import { TranscriptPrinter } from "../src/transcript-view.js";

function downloads(count: number, failAt = -1): TranscriptEntry[] {
  const entries: TranscriptEntry[] = [];
  for (let i = 0; i < count; i++) {
    const cid = i % 32;
    entries.push({
      seq: 2 * i,
      kind: "command",
      cid,
      opcode: AdminOpcode.FirmwareImageDownload,
      text: `download ${i}`,
    });
    entries.push({
      seq: 2 * i + 1,
      kind: "completion",
      cid,
      status: "0h/00h",
      dw0: 0,
      text: i === failAt ? "Overlapping Range" : "Success",
    });
  }
  return entries;
}

function print(entries: TranscriptEntry[]): string[] {
  const lines: string[] = [];
  const printer = new TranscriptPrinter((text) => lines.push(text.trimEnd()));
  for (const entry of entries) printer.accept(entry);
  printer.accept({ seq: 999, kind: "note", text: "after" });
  return lines;
}

describe("TranscriptPrinter", () => {
  it("prints short download runs in full", () => {
    const lines = print(downloads(4));
    expect(lines).toHaveLength(9);
    expect(lines[0]).toBe("  → download 0");
    expect(lines[8]).toBe("  · after");
  });

  it("folds a long run to two pieces at each end and counts the statuses it hid", () => {
    const lines = print(downloads(40, 20));
    expect(lines).toEqual([
      "  → download 0",
      "  ← Success",
      "  → download 1",
      "  ← Success",
      "  ⋮ 36 more Firmware Image Download pieces: 35 × Success, 1 × Overlapping Range",
      "  → download 38",
      "  ← Success",
      "  → download 39",
      "  ← Success",
      "  · after",
    ]);
  });
});
