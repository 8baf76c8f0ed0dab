import { describe, expect, it } from "vitest";
import { TargetError } from "../src/target.js";
import { DEFAULT_FLAT_MEMORY_BASE, FlatMemory } from "../src/targets/flat-memory.js";

describe("FlatMemory", () => {
  it("hands out aligned, non-overlapping ranges above 4 GiB and zero-filled", () => {
    const memory = new FlatMemory({ sizeBytes: 1 << 20 });
    const a = memory.alloc(100, 64);
    const b = memory.alloc(10, 4096);
    expect(a).toBe(DEFAULT_FLAT_MEMORY_BASE);
    expect(b % 4096n).toBe(0n);
    expect(b).toBeGreaterThanOrEqual(a + 100n);
    expect(memory.read(b, 10).every((x) => x === 0)).toBe(true);
  });

  it("aligns relative to the absolute address even when the base is not aligned", () => {
    const memory = new FlatMemory({ sizeBytes: 1 << 16, baseAddress: 0x1_0000_0010n });
    expect(memory.alloc(8, 4096) % 4096n).toBe(0n);
  });

  it("throws typed errors for accesses outside it, exhaustion and bad arguments", () => {
    const memory = new FlatMemory({ sizeBytes: 8192 });
    expect(() => memory.read(0n, 4)).toThrow(TargetError);
    expect(() => memory.write(DEFAULT_FLAT_MEMORY_BASE + 8190n, new Uint8Array(4))).toThrow(
      /outside host memory/,
    );
    expect(() => memory.alloc(16384)).toThrow(expect.objectContaining({ code: "HOST_MEMORY_EXHAUSTED" }));
    expect(() => memory.alloc(16, 3)).toThrow(/power of two/);
    expect(() => new FlatMemory({ sizeBytes: 0 })).toThrow(/memoryBytes/);
  });

  it("reads what was written anywhere in it, and zeros where nothing was, on both sides of the backed part", () => {
    const size = 8 << 20;
    const memory = new FlatMemory({ sizeBytes: size });
    const low = memory.alloc(4096);
    memory.write(low, Uint8Array.of(1, 2, 3, 4));
    const high = DEFAULT_FLAT_MEMORY_BASE + BigInt(size - 4);
    expect(Array.from(memory.read(high, 4))).toEqual([0, 0, 0, 0]);
    memory.write(high, Uint8Array.of(9, 8, 7, 6));
    expect(Array.from(memory.read(high, 4))).toEqual([9, 8, 7, 6]);
    // Growing to reach the far end kept what was written before it.
    expect(Array.from(memory.read(low, 4))).toEqual([1, 2, 3, 4]);
    expect(memory.read(low + 4n, size - 8).every((x) => x === 0)).toBe(true);
  });

  it("readInto fills the whole target: the bytes, then zeros past the backed memory", () => {
    const size = 4 << 20;
    const memory = new FlatMemory({ sizeBytes: size });
    const addr = memory.alloc(16);
    memory.write(addr, Uint8Array.of(5, 6, 7));
    const into = new Uint8Array(3).fill(0xee);
    memory.readInto(addr, into);
    expect(Array.from(into)).toEqual([5, 6, 7]);
    // A reused buffer holding old bytes must not keep them where memory is zero.
    const far = DEFAULT_FLAT_MEMORY_BASE + BigInt(size - 8);
    const reused = new Uint8Array(8).fill(0xee);
    memory.readInto(far, reused);
    expect(Array.from(reused)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(() => memory.readInto(DEFAULT_FLAT_MEMORY_BASE + BigInt(size - 4), new Uint8Array(8))).toThrow(
      expect.objectContaining({ code: "HOST_MEMORY_UNMAPPED" }),
    );
  });

  it("view is live over allocated memory and undefined where memory was never backed", () => {
    const size = 4 << 20;
    const memory = new FlatMemory({ sizeBytes: size });
    const addr = memory.alloc(64);
    const view = memory.view(addr, 64);
    expect(view).toBeDefined();
    view?.set(Uint8Array.of(0xab, 0xcd), 10);
    expect(Array.from(memory.read(addr + 10n, 2))).toEqual([0xab, 0xcd]);
    memory.write(addr, Uint8Array.of(0x11));
    expect(view?.[0]).toBe(0x11);
    expect(memory.view(DEFAULT_FLAT_MEMORY_BASE + BigInt(size - 16), 16)).toBeUndefined();
    expect(() => memory.view(0n, 4)).toThrow(expect.objectContaining({ code: "HOST_MEMORY_UNMAPPED" }));
  });
});
