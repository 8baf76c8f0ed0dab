import { describe, expect, it } from "vitest";
import { copyFromHost, resolvePrps } from "../src/prp.js";
import { FlatHostMemory, PAGE } from "./harness.js";

/** PRP1/PRP2/PRP list walking (NVMe Base §4.3.1) with exact segment vectors. */

function list(memory: FlatHostMemory, entries: bigint[], at?: bigint): bigint {
  const addr = at ?? memory.alloc(PAGE);
  const view = new DataView(new ArrayBuffer(entries.length * 8));
  entries.forEach((entry, index) => {
    view.setBigUint64(index * 8, entry, true);
  });
  memory.write(addr, new Uint8Array(view.buffer));
  return addr;
}

describe("resolvePrps", () => {
  const memory = new FlatHostMemory(1024 * 1024);

  it("fits in PRP1 when the transfer stays in the first page, even with an offset", () => {
    expect(resolvePrps(memory, 0x1100n, 0n, 0xf00, PAGE)).toEqual({
      ok: true,
      segments: [{ addr: 0x1100n, length: 0xf00 }],
    });
  });

  it("uses PRP2 as the second page when two pages suffice", () => {
    expect(resolvePrps(memory, 0x1800n, 0x9000n, PAGE, PAGE)).toEqual({
      ok: true,
      segments: [
        { addr: 0x1800n, length: 0x800 },
        { addr: 0x9000n, length: 0x800 },
      ],
    });
  });

  it("walks a PRP list and merges adjacent pages into one segment", () => {
    const pointer = list(memory, [0x20000n, 0x21000n, 0x40000n]);
    const result = resolvePrps(memory, 0x1000n, pointer, 4 * PAGE, PAGE);
    expect(result).toEqual({
      ok: true,
      segments: [
        { addr: 0x1000n, length: PAGE },
        { addr: 0x20000n, length: 2 * PAGE },
        { addr: 0x40000n, length: PAGE },
      ],
    });
  });

  it("follows the last entry of a full list page to the next list page", () => {
    // 1 page in PRP1 + 511 data entries in the first list page + 2 in the chained one.
    const second = list(memory, [0x80000n, 0x90000n]);
    const entries = Array.from({ length: 511 }, (_, index) => BigInt(0x100000 + index * PAGE));
    const first = memory.alloc(PAGE);
    list(memory, [...entries.map((entry) => entry % 0x100000n), second], first);
    const result = resolvePrps(memory, 0x2000n, first, (1 + 511 + 2) * PAGE, PAGE);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.segments.slice(-2)).toEqual([
      { addr: 0x80000n, length: PAGE },
      { addr: 0x90000n, length: PAGE },
    ]);
    expect(result.segments.reduce((sum, segment) => sum + segment.length, 0)).toBe(514 * PAGE);
  });

  it("uses every entry of a list page as data when no chaining is needed", () => {
    const entries = Array.from({ length: 512 }, (_, index) => BigInt(0x200000 + index * 2 * PAGE));
    const pointer = list(memory, entries);
    const result = resolvePrps(memory, 0x2000n, pointer, 513 * PAGE, PAGE);
    expect(result.ok && result.segments.length).toBe(513);
    expect(result.ok && result.segments.at(-1)).toEqual({ addr: entries.at(-1), length: PAGE });
  });

  it("rejects a PRP1 that is not dword aligned and a second-page PRP2 with an offset (0h/13h)", () => {
    const unaligned = resolvePrps(memory, 0x1002n, 0n, 16, PAGE);
    expect(unaligned.ok ? undefined : unaligned.result.status).toEqual({ sct: 0, sc: 0x13 });
    const offset = resolvePrps(memory, 0x1000n, 0x3010n, 2 * PAGE, PAGE);
    expect(offset.ok ? undefined : offset.result.status).toEqual({ sct: 0, sc: 0x13 });
  });

  it("rejects a list entry with an offset and a list in unmapped memory (0h/04h)", () => {
    const pointer = list(memory, [0x20000n, 0x21010n]);
    const bad = resolvePrps(memory, 0x1000n, pointer, 3 * PAGE, PAGE);
    expect(bad.ok ? undefined : bad.result.status).toEqual({ sct: 0, sc: 0x13 });
    const unmapped = resolvePrps(memory, 0x1000n, 0x1_0000_0000n, 3 * PAGE, PAGE);
    expect(unmapped.ok ? undefined : unmapped.result.status).toEqual({ sct: 0, sc: 0x04 });
  });

  it("a data page outside host memory becomes Data Transfer Error when copied", () => {
    const result = resolvePrps(memory, 0x1000n, 0x1_0000_0000n, 2 * PAGE, PAGE);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const copy = copyFromHost(memory, result.segments);
    expect(copy.ok ? undefined : copy.result.status).toEqual({ sct: 0, sc: 0x04 });
  });
});
