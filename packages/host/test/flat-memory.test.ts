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
});
