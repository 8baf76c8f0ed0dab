import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GuestOutOfMemoryError, InvalidArgumentError } from "../src/errors.js";
import { GuestAllocator, parseQemuMemorySize } from "../src/libqos/alloc.js";

const MIB = 0x10_0000n;

describe("GuestAllocator", () => {
  it("hands out the first aligned address of the range", () => {
    expect(new GuestAllocator(MIB, 2n * MIB).alloc(100)).toBe(MIB);
  });

  it("aligns each allocation to the requested power of two", () => {
    const allocator = new GuestAllocator(MIB, 2n * MIB);
    allocator.alloc(1, 1);
    expect(allocator.alloc(16, 0x1000)).toBe(MIB + 0x1000n);
  });

  it("reuses a freed block (first fit)", () => {
    const allocator = new GuestAllocator(MIB, 2n * MIB);
    const first = allocator.alloc(4096);
    allocator.alloc(4096);
    allocator.free(first);
    expect(allocator.alloc(4096)).toBe(first);
  });

  it("coalesces neighbouring holes so a large block fits again", () => {
    const allocator = new GuestAllocator(MIB, MIB + 0x3000n);
    const blocks = [allocator.alloc(0x1000), allocator.alloc(0x1000), allocator.alloc(0x1000)];
    for (const block of blocks) allocator.free(block);
    expect(allocator.alloc(0x3000)).toBe(MIB);
  });

  it("throws GuestOutOfMemoryError when no hole is large enough", () => {
    const allocator = new GuestAllocator(MIB, MIB + 0x1000n);
    expect(() => allocator.alloc(0x1001)).toThrow(GuestOutOfMemoryError);
  });

  it("rejects a size of 0, naming the field", () => {
    expect(() => new GuestAllocator(MIB, 2n * MIB).alloc(0)).toThrow(/size must be a positive integer/);
  });

  it("rejects an alignment that is not a power of two", () => {
    expect(() => new GuestAllocator(MIB, 2n * MIB).alloc(8, 24)).toThrow(/align must be a power of two/);
  });

  it("rejects freeing an address it never handed out", () => {
    expect(() => new GuestAllocator(MIB, 2n * MIB).free(MIB)).toThrow(InvalidArgumentError);
  });

  it("rejects an empty range", () => {
    expect(() => new GuestAllocator(MIB, MIB)).toThrow(/end must be a bigint > start/);
  });

  it("reset() forgets every allocation", () => {
    const allocator = new GuestAllocator(MIB, 2n * MIB);
    allocator.alloc(4096);
    allocator.reset();
    expect(allocator.allocations()).toEqual([]);
    expect(allocator.freeBytes).toBe(MIB);
  });

  it("never overlaps, never leaves the range and always aligns (random alloc/free sequences)", () => {
    const operation = fc.oneof(
      fc.record({
        kind: fc.constant("alloc" as const),
        size: fc.integer({ min: 1, max: 0x4000 }),
        alignShift: fc.integer({ min: 0, max: 13 }),
      }),
      fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), (operations) => {
        const allocator = new GuestAllocator(MIB, MIB + 0x2_0000n);
        const live: bigint[] = [];
        for (const op of operations) {
          if (op.kind === "alloc") {
            const align = 1 << op.alignShift;
            try {
              const address = allocator.alloc(op.size, align);
              expect(address % BigInt(align)).toBe(0n);
              live.push(address);
            } catch (error) {
              expect(error).toBeInstanceOf(GuestOutOfMemoryError);
            }
          } else if (live.length > 0) {
            allocator.free(live.splice(op.pick % live.length, 1)[0] as bigint);
          }
        }
        const blocks = allocator.allocations();
        let end = MIB;
        for (const block of blocks) {
          expect(block.address).toBeGreaterThanOrEqual(end);
          end = block.address + BigInt(block.size);
        }
        expect(end).toBeLessThanOrEqual(MIB + 0x2_0000n);
        const used = blocks.reduce((sum, block) => sum + BigInt(block.size), 0n);
        expect(used + allocator.freeBytes).toBe(0x2_0000n);
      }),
    );
  });
});

describe("parseQemuMemorySize", () => {
  it.each([
    ["128M", 128n * MIB],
    ["1G", 1024n * MIB],
    ["512", 512n * MIB],
    ["64k", 64n * 1024n],
  ])("%s", (text, bytes) => {
    expect(parseQemuMemorySize(text)).toBe(bytes);
  });

  it("rejects text that is not a size", () => {
    expect(() => parseQemuMemorySize("lots")).toThrow(/memory must look like/);
  });
});
